import { z } from 'zod';
import { notifyChannelSchema } from './report-options';

/**
 * The records of the notification ledger (activities/notify/ledger.ts): one small JSON file
 * per message key and channel, written before sending (intent) and right after acceptance
 * (sent), and read back by whichever worker delivers that message next.
 */

const ledgerRecordSchema = z.object({
  channel: notifyChannelSchema,
  identity: z.string(),
  key: z.string(),
  messageId: z.string(),
  /** How many send attempts this message took on this channel, counting this one. */
  attempt: z.number(),
});

export const intentRecordSchema = ledgerRecordSchema.extend({ startedAt: z.string() });
export type IntentRecord = z.infer<typeof intentRecordSchema>;

export const sentRecordSchema = ledgerRecordSchema.extend({ sentAt: z.string(), detail: z.string() });
export type SentRecord = z.infer<typeof sentRecordSchema>;
