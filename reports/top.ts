/**
 * The best `limit` items seen so far under `compare` (best first). Keeps at most `limit`
 * items whatever the number offered, so "slowest runs" and "latest failures" cost O(limit)
 * memory in a streaming pass and do not depend on the order items arrive in.
 */
export class TopK<T> {
  private readonly items: T[] = [];

  constructor(
    private readonly limit: number,
    /** Negative when `a` ranks before `b`; must be a total order for order-independent results. */
    private readonly compare: (a: T, b: T) => number,
  ) {}

  offer(item: T): void {
    if (this.items.length === this.limit) {
      const last = this.items[this.items.length - 1];
      if (last !== undefined && this.compare(item, last) >= 0) return;
    }
    let at = this.items.length;
    while (at > 0 && this.compare(item, this.items[at - 1] as T) < 0) at -= 1;
    this.items.splice(at, 0, item);
    if (this.items.length > this.limit) this.items.pop();
  }

  values(): T[] {
    return [...this.items];
  }
}
