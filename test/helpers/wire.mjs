// What the tests need to know of each platform's wire, to play a platform by hand (a bare
// API that answers as no emulator would) and to check what the runtime posted.
export const WIRE = {
  functiongraph: {
    idHeader: 'X-Cff-Request-Id',
    answerPath: (id, ok) => `/v1/runtime/invocation/${ok ? 'response' : 'error'}/${id}`,
    credentials: ['X-CFF-Access-Key', 'X-CFF-Secret-Key', 'X-CFF-Auth-Token', 'X-CFF-Security-Access-Key', 'X-CFF-Security-Secret-Key', 'X-CFF-Security-Token'],
  },
  lambda: {
    idHeader: 'Lambda-Runtime-Aws-Request-Id',
    answerPath: (id, ok) => `/2018-06-01/runtime/invocation/${id}/${ok ? 'response' : 'error'}`,
    // Lambda gives credentials in the environment, not per invocation.
    credentials: [],
  },
  fc: {
    idHeader: 'x-fc-request-id',
    answerPath: (id, ok) => `/2020-11-11/runtime/invocation/${id}/${ok ? 'response' : 'error'}`,
    credentials: ['x-fc-access-key-id', 'x-fc-access-key-secret', 'x-fc-security-token'],
  },
  // HTTP mode: FC's custom runtime is called with the same headers (there is no API to answer).
  http: {
    idHeader: 'x-fc-request-id',
    credentials: ['x-fc-access-key-id', 'x-fc-access-key-secret', 'x-fc-security-token'],
  },
  // OpenEdge's Runtime.Handle carries no credentials; the request id is the message's FunctionInvokeID.
  openedge: {
    idHeader: undefined,
    credentials: [],
  },
};
