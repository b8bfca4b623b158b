// What OpenEdge's (BAETYL's) handlers find on their context besides the common part, as OpenEdge's
// own Node and Python runtimes give it: the message's QOS and topic, the function's name, and the
// call's invoke id (also as `invokeid`). Each comes from the Runtime.Handle message.
import type { ContextClass } from '../../worker/context.js';

export function platformContext(Base: ContextClass): ContextClass {
  return class OpenEdgeContext extends Base {
    get messageQOS(): number { return Number(this.field('messageQOS')) || 0; }
    get messageTopic(): string { return this.field('messageTopic'); }
    get functionInvokeID(): string { return this.field('functionInvokeID') || this.requestId; }
    get invokeid(): string { return this.functionInvokeID; }
  };
}
