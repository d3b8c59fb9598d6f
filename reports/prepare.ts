import type { CollectedRun } from '../activities/dify/schemas';
import { toRunRecord, type RunRecord } from './records';
import { redactRecord } from './redact';
import type { ReportContext } from './types';

/**
 * A collected run as every later stage sees it: flattened, then redacted. The one entry point,
 * so no code path can read a run before redaction.
 */
export function prepareRecord(run: CollectedRun, ctx: Pick<ReportContext, 'redaction'>): RunRecord {
  const record = toRunRecord(run);
  if (!ctx.redaction) return record;
  const endUser = run.log.created_by_end_user ?? null;
  const account = run.log.created_by_account ?? null;
  // Every raw identifier of the person, so none of them survives in the run's own texts.
  const rawIds = [endUser?.id, endUser?.session_id, account?.email, account?.id, account?.name].filter((id): id is string => typeof id === 'string' && id !== '');
  return redactRecord(record, ctx.redaction, rawIds);
}
