// What Lambda's handlers find on their context besides the common part: the log group and stream,
// the client context and Cognito identity (parsed JSON), the tenant id and the X-Ray trace id —
// and, inside the invocation only, process.env._X_AMZN_TRACE_ID. Several invocations may share a
// thread (Managed Instances), so the variable is read from the invocation's own async scope
// rather than written into the thread's environment, where one invocation would see another's.
import type { ContextClass } from '../../worker/context.js';
import type { InvocationScope } from '../../worker/log-correlation.js';

const TRACE_VARIABLE = '_X_AMZN_TRACE_ID';

export function platformContext(Base: ContextClass): ContextClass {
  return class LambdaContext extends Base {
    get logGroupName(): string { return this.functionInfo.attrs.logGroupName ?? ''; }
    get logStreamName(): string { return this.functionInfo.attrs.logStreamName ?? ''; }
    get clientContext(): unknown { return parsed(this.field('clientContext')); }
    get identity(): unknown { return parsed(this.field('cognitoIdentity')); }
    get tenantId(): string | undefined { return this.field('tenantId') || undefined; }
    get xRayTraceId(): string | undefined { return this.invocationMeta.traceId; }
  };
}

/** Once per worker thread: process.env._X_AMZN_TRACE_ID answers with the current invocation's trace id. */
export function platformThread(current: () => InvocationScope | undefined): void {
  const env = process.env;
  process.env = new Proxy(env, {
    get(target, key) {
      if (key === TRACE_VARIABLE) {
        const scope = current();
        if (scope !== undefined) return scope.traceId;
      }
      return Reflect.get(target, key);
    },
    has(target, key) {
      if (key === TRACE_VARIABLE) {
        const scope = current();
        if (scope !== undefined) return scope.traceId !== undefined;
      }
      return Reflect.has(target, key);
    },
  });
}

function parsed(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
