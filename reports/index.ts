import { Accumulator, compareRuns } from './aggregate';
import { toCsv } from './csv';
import { reportFiles } from './files';
import { prepareRecord, type CollectedRecord } from './prepare';
import { qaPairsSheet } from './sheets/qa-pairs';
import { runsSheet } from './sheets/runs';
import type { RenderedReport, ReportContext } from './types';

export type { ReportContext, ReportFigures, RenderedReport, EarlierUsers } from './types';
export { Accumulator, compareRuns, type Aggregates } from './aggregate';
export { reportFiles, type ReportFile } from './files';
export { prepareRecord, type CollectedRecord } from './prepare';
export { QaRows } from './sheets/qa-pairs';
export { runsHeader, runsRow } from './sheets/runs';
export { csvText } from './csv';

/**
 * Collected runs -> report files, all in memory: the convenience form of the streaming
 * pipeline (prepareRecord -> Accumulator -> reportFiles, plus the row sheets), for tests and
 * small windows. Pure: no I/O and no clock, so the same runs and context always give the same
 * bytes; activities/render.ts produces the very same bytes from a stream.
 */
export function renderReport(runs: readonly CollectedRecord[], given: ReportContext): RenderedReport {
  const ctx: ReportContext = runs.some((run) => 'kind' in run) && given.chatApp === undefined ? { ...given, chatApp: true } : given;
  const records = runs.map((run) => prepareRecord(run, ctx)).sort(compareRuns);
  const accumulator = new Accumulator(ctx);
  for (const record of records) accumulator.add(record);
  const aggregates = accumulator.finish();
  const files = reportFiles(aggregates, ctx).map((file) => {
    if ('content' in file) return file;
    const sheet = file.rowsOf === 'runs' ? runsSheet(records, ctx) : qaPairsSheet(records, aggregates.segmentColumns, ctx);
    return { name: file.name, content: toCsv(sheet) };
  });
  return { files, figures: aggregates.figures, aggregates };
}
