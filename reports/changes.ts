import { round } from './numbers';
import type { Change, ReportFigures } from '../common/report-files';

const SCALAR_FIGURES = ['runs', 'succeeded', 'failed', 'users', 'sessions', 'totalTokens', 'p50ElapsedSeconds', 'p95ElapsedSeconds', 'tokenSpeed'] as const;

function change(figure: Change['figure'], current: number | null, previous: number | null, currency?: string): Change {
  // Both sides are already rounded; rounding the difference again removes float noise (0.30000000000000004).
  const delta = current === null || previous === null ? null : round(current - previous, 6);
  const deltaPercent = delta === null || previous === null || previous === 0 ? null : round((delta / previous) * 100, 1);
  return { figure, ...(currency === undefined ? {} : { currency }), current, previous, delta, deltaPercent };
}

export function changesAgainst(current: ReportFigures, previous: ReportFigures): Change[] {
  const changes = SCALAR_FIGURES.map((figure) => change(figure, current[figure], previous[figure]));
  // Chat apps only: a workflow app's report has no satisfaction to compare.
  if (current.satisfaction !== undefined || previous.satisfaction !== undefined) changes.push(change('satisfaction', current.satisfaction ?? null, previous.satisfaction ?? null));
  const currencies = [...new Set([...Object.keys(current.cost), ...Object.keys(previous.cost)])].sort();
  for (const currency of currencies) changes.push(change('cost', current.cost[currency] ?? 0, previous.cost[currency] ?? 0, currency));
  return changes;
}
