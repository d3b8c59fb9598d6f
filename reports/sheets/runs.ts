import { sheetLayouts, type RunsKey } from '../locale';
import { cell, costCells, seconds } from '../numbers';
import type { RunRecord } from '../records';
import { localIso } from '../time';
import type { ReportContext } from '../types';
import { messagesHeader, messagesRow } from './chat';

/**
 * runs.csv (messages.csv for chat apps, see chat.ts): every collected field of a run that fits a cell, oldest first; `detail_status`
 * says what is missing. Built row by row so a caller can stream it to a file.
 */
export function runsHeader(ctx: ReportContext): string[][] {
  if (ctx.chatApp === true) return messagesHeader();
  return [sheetLayouts(ctx.locale).runs.columns.map(([, header]) => header)];
}

export function runsRow(record: RunRecord, ctx: ReportContext): string[] {
  if (ctx.chatApp === true) return messagesRow(record, ctx);
  const zone = ctx.window.timezone;
  const fields: Record<RunsKey, string> = {
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
  };
  return sheetLayouts(ctx.locale).runs.columns.map(([key]) => fields[key]);
}
