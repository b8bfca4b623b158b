// FunctionGraph's context needs nothing beyond the common one: its methods (getAccessKey(),
// getUserData(), getPackage(), …) are the common context's (worker/context.ts), which every
// platform's handler gets.
import type { ContextClass } from '../../worker/context.js';

export function platformContext(Base: ContextClass): ContextClass {
  return Base;
}
