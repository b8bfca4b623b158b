// The HTTP server mode's part of the context: Function Compute's Node shape, the same as on FC's
// runtime API (the request headers carry the same fields).
export { platformContext } from '../fc/context.js';
