import type { Aggregates } from '../aggregate';
import { project, type Sheet } from '../csv';
import { sheetLayouts, type DailyKey } from '../locale';
import { cell, costCells } from '../numbers';
import type { ReportContext } from '../types';

/**
 * One row per local day of the window, days without runs included (zeros, not gaps), so
 * charts drawn from the sheet have an honest time axis. Cost lists every currency of the
 * window in the same order on every row, so a column means the same currency all the way down.
 */
export function dailySheet(aggregates: Aggregates, ctx: ReportContext): Sheet {
  const layout = sheetLayouts(ctx.locale).daily;
  const rows = aggregates.days.map((day): Record<DailyKey, string> => ({
    date: day.date,
    runs: String(day.runs),
    succeeded: String(day.succeeded),
    failed: String(day.failed),
    users: String(day.users),
    tokens: String(day.tokens),
    ...costCells(day.cost, aggregates.currencies),
    p50_elapsed_s: cell(day.p50ElapsedSeconds),
    p95_elapsed_s: cell(day.p95ElapsedSeconds),
  }));
  return { name: layout.file, rows: project(layout.columns, rows) };
}
