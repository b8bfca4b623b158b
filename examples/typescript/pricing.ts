// Imported as './pricing.js', as TypeScript users write; fnpool finds pricing.ts.
export interface LineItem {
  sku: string;
  /** Price of one, in cents. */
  price: number;
  quantity: number;
}

export function total(items: readonly LineItem[]): number {
  return items.reduce((sum, item) => sum + item.price * item.quantity, 0);
}
