import { Accumulator, compareRuns, prepareRecord, QaRows, reportFiles, runsHeader, runsRow, type Aggregates, type CollectedRecord, type ReportContext, type ReportFigures } from '../../reports';
import { toCsv } from '../../reports/csv';

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
    if (file.rowsOf === 'runs') return { name: file.name, content: toCsv({ name: file.name, rows: [...runsHeader(ctx), ...records.map((record) => runsRow(record, ctx))] }) };
    const qa = new QaRows(ctx, aggregates.segmentColumns);
    return { name: file.name, content: toCsv({ name: file.name, rows: [...qa.header(), ...records.map((record) => qa.row(record))] }) };
  });
  return { files, figures: aggregates.figures, aggregates };
}
