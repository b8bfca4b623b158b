// A TypeScript handler, loaded as it is: fnpool strips the types when it loads the file, so there
// is no build step. The types come from fnpool (`import type` is erased, so nothing is loaded at
// run time); tsconfig.json here lets your editor and `npx tsc -p examples/typescript` find them.
import type { Context, Handler } from 'fnpool';
import { total, type LineItem } from './pricing.js';

interface Order {
  id: string;
  items: LineItem[];
}

interface Receipt {
  id: string;
  total: number;
  currency: 'EUR';
  requestId: string;
  remainingMs: number;
}

export const handler: Handler<Order, Receipt> = async (order: Order, context: Context): Promise<Receipt> => {
  if (!Array.isArray(order.items)) throw new TypeError('order.items must be an array');
  context.getLogger().info(`pricing order ${order.id} (${order.items.length} items)`);
  return {
    id: order.id,
    total: total(order.items),
    currency: 'EUR',
    requestId: context.getRequestID(),
    remainingMs: context.getRemainingTimeInMilliSeconds(),
  };
};
