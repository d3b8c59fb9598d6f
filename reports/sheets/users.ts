import type { Aggregates } from '../aggregate';
import { project, type Sheet } from '../csv';
import { sheetLayouts, type UsersKey } from '../locale';
import type { ReportContext } from '../types';

/** Users by runs (most active first, then user id); days are local calendar days. */
export function usersSheet(aggregates: Aggregates, ctx: ReportContext): Sheet {
  const layout = sheetLayouts(ctx.locale).users;
  const rows = aggregates.users.map((user): Record<UsersKey, string> => ({
    user_id: user.userId,
    runs: String(user.runs),
    active_days: String(user.activeDays),
    first_seen: user.firstSeen,
    last_seen: user.lastSeen,
    failed_runs: String(user.failedRuns),
    tokens: String(user.tokens),
  }));
  return { name: layout.file, rows: project(layout.columns, rows) };
}
