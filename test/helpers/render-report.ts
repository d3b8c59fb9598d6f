import { Accumulator, compareRuns, prepareRecord, reportFiles, type Aggregates, type CollectedRecord, type ReportContext, type ReportFigures } from '../../reports';
import { toCsv } from '../../reports/csv';
import { qaPairsSheet } from '../../reports/sheets/qa-pairs';
import { runsSheet } from '../../reports/sheets/runs';

export interface RenderedReport {
  files: { name: string; content: string }[];
  figures: ReportFigures;
  aggregates: Aggregates;
}

/**
 * Collected runs -> report files, all in memory: the streaming pipeline of activities/render.ts
 * (prepareRecord -> Accumulator -> reportFiles, plus the row sheets) in its plainest form, so
 * the tests can render a handful of runs without files and check that the streaming render
 * gives the very same bytes. Pure: the same runs and context always give the same bytes.
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
