import type { CollectedMessage } from '../common/dify-chat-schemas';
import type { CollectedRun } from '../common/dify-schemas';
import { toChatRecord } from './chat-records';
import { toRunRecord, type RunRecord } from './records';
import { redactRecord } from './redact';
import type { ReportContext } from './types';

/** What the raw files of a report hold: workflow runs, or messages of a chat app. */
export type CollectedRecord = CollectedRun | CollectedMessage;

function isMessage(collected: CollectedRecord): collected is CollectedMessage {
  return 'kind' in collected && collected.kind === 'chat-message';
}

/** Every raw identifier of the person, so none of them survives in the record's own texts. */
function rawIdsOf(collected: CollectedRecord): string[] {
  const ids = isMessage(collected)
    ? [collected.conversation.sessionId, collected.conversation.endUserId, collected.conversation.accountName, collected.message.from_end_user_id, collected.message.from_account_id]
    : [collected.log.created_by_end_user?.id, collected.log.created_by_end_user?.session_id, collected.log.created_by_account?.email, collected.log.created_by_account?.id, collected.log.created_by_account?.name];
  return ids.filter((id): id is string => typeof id === 'string' && id !== '');
}

/**
 * A collected run or message as every later stage sees it: flattened, then redacted. The one
 * entry point, so no code path can read a record before redaction.
 */
export function prepareRecord(collected: CollectedRecord, ctx: Pick<ReportContext, 'redaction'>): RunRecord {
  const record = isMessage(collected) ? toChatRecord(collected) : toRunRecord(collected);
  if (!ctx.redaction) return record;
  return redactRecord(record, ctx.redaction, rawIdsOf(collected));
}
