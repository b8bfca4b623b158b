// An HTTP-trigger (API Gateway) handler: the event describes the HTTP request, the result is the
// HTTP response, {statusCode, headers, body, isBase64Encoded}, with body a string.
// event.json here is an example of the event an APIG trigger sends.
const json = (statusCode, value) => ({
  statusCode,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(value),
  isBase64Encoded: false,
});

export const handler = async (event, context) => {
  const method = event.httpMethod ?? 'GET';
  const query = event.queryStringParameters ?? {};
  let body = event.body ?? '';
  if (event.isBase64Encoded && body) body = Buffer.from(body, 'base64').toString('utf8');

  if (method === 'GET') {
    const name = query.name ?? 'world';
    return json(200, { message: `Hello, ${name}!`, path: event.path, requestId: context.getRequestID() });
  }
  if (method === 'POST') {
    let payload;
    try {
      payload = body ? JSON.parse(body) : {};
    } catch {
      return json(400, { error: 'the body is not JSON' });
    }
    return json(201, { received: payload, requestId: context.getRequestID() });
  }
  return {
    statusCode: 405,
    headers: { Allow: 'GET, POST', 'Content-Type': 'text/plain' },
    body: `${method} is not allowed`,
    isBase64Encoded: false,
  };
};
