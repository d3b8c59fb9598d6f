import type { Aggregates } from '../aggregate';
import { project, type Sheet } from '../csv';
import { sheetLayouts, type RunsKey } from '../locale';
import { cell, costCells, seconds } from '../numbers';
import { localIso } from '../time';
import type { ReportContext } from '../types';

/** Every collected field of a run that fits a cell, oldest first; `detail_status` says what is missing. */
export function runsSheet(aggregates: Aggregates, ctx: ReportContext): Sheet {
  const layout = sheetLayouts(ctx.locale).runs;
  const zone = ctx.window.timezone;
  const rows = aggregates.records.map((record): Record<RunsKey, string> => ({
    log_id: record.logId,
    run_id: record.runId,
    status: record.status,
    created_at: localIso(record.createdAt, zone),
    finished_at: record.finishedAt === null ? '' : localIso(record.finishedAt, zone),
    elapsed_time: cell(record.elapsedSeconds === null ? null : seconds(record.elapsedSeconds)),
    total_tokens: String(record.totalTokens),
    user_id: record.userId,
    session_id: record.sessionId,
    created_from: record.createdFrom,
    error: (record.error ?? '').replace(/\r\n?/g, '\n'),
    total_steps: cell(record.totalSteps),
    ...costCells(record.cost),
    detail_status: record.detailStatus,
  }));
  return { name: layout.file, rows: project(layout.columns, rows) };
}
