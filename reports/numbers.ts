/**
 * Rounding rules, in one place so every format prints the same figure:
 * - money: 6 decimals (Dify prices carry 7, but a millionth of a dollar is below any invoice);
 * - seconds: 3 decimals (Dify reports elapsed time to the millisecond);
 * - ratios and speeds: 2 decimals; rates and shares: 4 decimals (0.1234 = 12.34 %).
 * Numbers are printed in their shortest form after rounding (`0.5`, not `0.500000`).
 */
export const DECIMALS = { money: 6, seconds: 3, ratio: 2, share: 4 } as const;

export function round(value: number, decimals: number): number {
  // toFixed rounds the decimal representation; Number() drops trailing zeros and the float noise of sums.
  const rounded = Number(value.toFixed(decimals));
  return Object.is(rounded, -0) ? 0 : rounded;
}

export const money = (value: number): number => round(value, DECIMALS.money);
export const seconds = (value: number): number => round(value, DECIMALS.seconds);

/** A number for a CSV cell; `null` becomes an empty cell, never `0`, so "unknown" stays visible. */
export function cell(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '' : String(value);
}

/** Currencies in a stable order (alphabetical) so rows and files never reorder between runs. */
export function currencies(cost: Readonly<Record<string, number>>): string[] {
  return Object.keys(cost).sort();
}

/** `0.123456 USD; 0.5 RMB` — one cell holding every currency, for the zh-CN overview and summaries. */
export function costText(cost: Readonly<Record<string, number>>): string {
  return currencies(cost)
    .map((currency) => `${money(cost[currency] ?? 0)} ${currency}`)
    .join('; ');
}

/** Parallel `cost` / `currency` cells (`0.1; 0.5` and `RMB; USD`) for sheets with one row per item. */
export function costCells(cost: Readonly<Record<string, number>>, order: readonly string[] = currencies(cost)): { cost: string; currency: string } {
  return {
    cost: order.map((currency) => String(money(cost[currency] ?? 0))).join('; '),
    currency: order.join('; '),
  };
}

export function addCost(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [currency, amount] of Object.entries(from)) into[currency] = (into[currency] ?? 0) + amount;
}

/**
 * Nearest-rank percentile: the smallest value with at least p % of the values at or below it.
 * Always an observed value (never interpolated), so "p95 = 4.2 s" names a real run.
 */
export function percentile(sortedAscending: readonly number[], p: number): number | null {
  if (sortedAscending.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sortedAscending.length));
  return sortedAscending[Math.min(rank, sortedAscending.length) - 1] ?? null;
}

export function sortedNumbers(values: Iterable<number>): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Deterministic string order (code units), independent of the machine's locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
