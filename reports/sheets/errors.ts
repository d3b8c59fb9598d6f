import type { Aggregates } from '../aggregate';
import { project, type Sheet } from '../csv';
import { sheetLayouts, type ErrorsKey } from '../locale';
import { localIso } from '../time';
import type { ReportContext } from '../types';

/**
 * Error signatures (messages with ids, numbers and quoted values masked), most frequent first.
 * `new_signature` is `true` for a signature the previous period's report did not list, and
 * empty when there is no previous report to compare with (unknown is not "new").
 */
export function errorsSheet(aggregates: Aggregates, ctx: ReportContext): Sheet {
  const layout = sheetLayouts(ctx.locale).errors;
  const zone = ctx.window.timezone;
  const rows = aggregates.errors.map((error): Record<ErrorsKey, string> => ({
    signature: error.signature,
    node: error.node,
    count: String(error.count),
    first_seen: localIso(error.firstSeen, zone),
    last_seen: localIso(error.lastSeen, zone),
    example_run_ids: error.exampleRunIds.join('; '),
    example: error.example.replace(/\r\n?/g, '\n'),
    new_signature: error.isNew === null ? '' : String(error.isNew),
  }));
  return { name: layout.file, rows: project(layout.columns, rows) };
}
