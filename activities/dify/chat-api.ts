import { DateTime } from 'luxon';
import { z } from 'zod';
import type { DifyClient } from './client';
import { DifyError } from './errors';
import { decimalSchema, nodeExecutionSchema, timestampSchema } from '../../common/dify-schemas';

/**
 * Chat apps (`advanced-chat` chatflows, `chat` chatbots, `agent-chat` agents) through the
 * console API. Their messages never reach `/v1/workflows/logs` (it answers `total: 0` for
 * them), and the service API's `/v1/conversations` and `/v1/messages` only show one `user` at
 * a time (no `user`: an empty list, not an error), so they cannot list an app: chat apps need
 * console credentials and the app id.
 *
 * Every field below was read from Dify 1.14.1's source (`controllers/console/app/conversation.py`,
 * `controllers/console/app/message.py`, `fields/conversation_fields.py`) and checked against a
 * real 1.14.1 server (shared/real-dify).
 */

export const CHAT_MODES = ['advanced-chat', 'chat', 'agent-chat'] as const;
export type ChatMode = (typeof CHAT_MODES)[number];

export function isChatMode(mode: string | null | undefined): mode is ChatMode {
  return (CHAT_MODES as readonly string[]).includes(mode ?? '');
}

/** `GET /console/api/account/profile`: only the zone matters, the one `start`/`end` filters are read in. */
export const accountProfileSchema = z.object({
  // An account created by setup has "UTC"; null is possible on old rows.
  timezone: z.string().nullish(),
});

/** `{like, dislike}` counts of one conversation (`from_source` `user`, resp. `admin`). */
const feedbackStatSchema = z.object({ like: z.number(), dislike: z.number() });

/**
 * One item of `GET /console/api/apps/{id}/chat-conversations` (`ConversationWithSummary`).
 * `from_end_user_session_id` is the `user` value the caller sent (joined from end_users);
 * `message_count` counts every message of the conversation at listing time; `updated_at` is
 * bumped by each new message and again ~1 s after the first one, when the name is rewritten.
 */
export const chatConversationSchema = z.object({
  id: z.string(),
  status: z.string().nullish(),
  from_source: z.string().nullish(),
  from_end_user_id: z.string().nullish(),
  from_end_user_session_id: z.string().nullish(),
  from_account_id: z.string().nullish(),
  from_account_name: z.string().nullish(),
  // May hold newlines; at creation the first 20 characters of the query + "…", later the generated name.
  name: z.string().nullish(),
  created_at: timestampSchema.nullish(),
  updated_at: timestampSchema.nullish(),
  annotated: z.boolean().nullish(),
  message_count: z.number().nullish(),
  user_feedback_stats: feedbackStatSchema.nullish(),
  admin_feedback_stats: feedbackStatSchema.nullish(),
});
export type ChatConversation = z.infer<typeof chatConversationSchema>;

/** Offset paging like the workflow logs: `page`, `limit` (1..100), `total`, `has_more`. */
export const chatConversationPageSchema = z.object({
  page: z.number(),
  limit: z.number(),
  total: z.number(),
  has_more: z.boolean(),
  data: z.array(z.unknown()),
});

/** One rating. `from_source` is `user` (end user, via the service API or web app) or `admin` (console). */
export const chatFeedbackSchema = z.object({
  rating: z.string(),
  content: z.string().nullish(),
  from_source: z.string(),
  from_end_user_id: z.string().nullish(),
  from_account: z.object({ id: z.string(), name: z.string().nullish(), email: z.string().nullish() }).nullish(),
});
export type ChatFeedback = z.infer<typeof chatFeedbackSchema>;

/**
 * One cited knowledge segment (`metadata.retriever_resources[]`): dataset and document names,
 * the segment's `content` and its `score`, in the order the answer cites them (`position`).
 */
export const retrieverResourceSchema = z
  .object({
    position: z.number().nullish(),
    dataset_id: z.string().nullish(),
    dataset_name: z.string().nullish(),
    document_id: z.string().nullish(),
    document_name: z.string().nullish(),
    segment_id: z.string().nullish(),
    score: decimalSchema.nullish(),
    content: z.string().nullish(),
  })
  .loose();
export type RetrieverResource = z.infer<typeof retrieverResourceSchema>;

/**
 * One item of `GET /console/api/apps/{id}/chat-messages` (`MessageDetailResponse`).
 * `message` (the whole prompt) is left out on purpose: it is large and no report reads it.
 * Price and currency are not message fields in this answer; they sit in `metadata.usage`
 * (`total_price` as a decimal string, `currency`, `latency`). `provider_response_latency` is
 * float seconds from request to answer. `status` is `normal`, `error` or `paused`.
 * `workflow_run_id` is set for chatflow messages; its node executions come from the console
 * `workflow-runs/{id}/node-executions`, as for workflow apps.
 */
export const chatMessageSchema = z.object({
  id: z.string(),
  conversation_id: z.string(),
  inputs: z.record(z.string(), z.unknown()).nullish(),
  query: z.string().nullish(),
  answer: z.string().nullish(),
  message_tokens: decimalSchema.nullish(),
  answer_tokens: decimalSchema.nullish(),
  provider_response_latency: decimalSchema.nullish(),
  from_source: z.string().nullish(),
  from_end_user_id: z.string().nullish(),
  from_account_id: z.string().nullish(),
  feedbacks: z.array(chatFeedbackSchema).nullish(),
  workflow_run_id: z.string().nullish(),
  created_at: timestampSchema,
  message_files: z.array(z.object({ filename: z.string().nullish(), type: z.string().nullish(), belongs_to: z.string().nullish() }).loose()).nullish(),
  metadata: z
    .object({
      retriever_resources: z.array(retrieverResourceSchema).nullish(),
      usage: z
        .object({
          total_tokens: decimalSchema.nullish(),
          total_price: decimalSchema.nullish(),
          currency: z.string().nullish(),
          latency: decimalSchema.nullish(),
        })
        .loose()
        .nullish(),
    })
    .loose()
    .nullish(),
  status: z.string().nullish(),
  error: z.string().nullish(),
  parent_message_id: z.string().nullish(),
  agent_thoughts: z.array(z.object({ tool: z.string().nullish() }).loose()).nullish(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** Cursor paging: no `total`; `first_id` asks for the messages before that one; items oldest first. */
export const chatMessagePageSchema = z.object({
  limit: z.number(),
  has_more: z.boolean(),
  data: z.array(z.unknown()),
});

/** Dify's largest page size for both listings. */
export const CHAT_PAGE_SIZE = 100;

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

function parsed<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new DifyError('schema', `Dify's answer for ${what} has an unexpected shape (${describeIssues(result.error)}); is DIFY_BASE_URL a Dify server of a supported version?`, {
      retryable: false,
      setting: 'DIFY_BASE_URL',
    });
  }
  return result.data;
}

/** An item of a page that failed validation: kept aside with the reason, so the report can count it. */
export interface InvalidItem {
  id: string | null;
  reason: string;
}

/** Valid items parsed, the others set aside: one odd record must not sink a whole report. */
function parseItems<S extends z.ZodType>(schema: S, data: readonly unknown[]): { items: z.output<S>[]; invalid: InvalidItem[] } {
  const items: z.output<S>[] = [];
  const invalid: InvalidItem[] = [];
  for (const raw of data) {
    const result = schema.safeParse(raw);
    if (result.success) items.push(result.data);
    else {
      const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
      invalid.push({ id: typeof id === 'string' ? id : null, reason: describeIssues(result.error) });
    }
  }
  return { items, invalid };
}

/** What a chat app's collection needs from Dify: the profile's zone, conversations and messages. */
export class ChatApi {
  constructor(
    private readonly dify: DifyClient,
    private readonly appId: string | undefined,
  ) {}

  private appPath(suffix: string): string {
    if (!this.appId) throw new DifyError('config', 'chat apps are read through the console API: set DIFY_APP_ID (the app id in the console URL)', { retryable: false, setting: 'DIFY_APP_ID' });
    return `/console/api/apps/${encodeURIComponent(this.appId)}/${suffix}`;
  }

  /** The console account's time zone: Dify reads the conversation filters `start`/`end` in it. */
  async accountTimezone(): Promise<string> {
    const profile = parsed(accountProfileSchema, await this.dify.consoleJson('/console/api/account/profile', {}, 'the console account profile'), 'the console account profile');
    return profile.timezone && profile.timezone.trim() !== '' ? profile.timezone : 'UTC';
  }

  /**
   * One page of conversations updated at or after `updatedSince` (`YYYY-MM-DD HH:MM` in the
   * account's zone, see `consoleMinute`), newest update first. No `end` filter: it would
   * apply to `updated_at` too and drop a conversation that had messages in the window and
   * more after it.
   */
  async conversationsPage(page: number, updatedSince: string): Promise<{ total: number; hasMore: boolean; items: ChatConversation[]; invalid: InvalidItem[] }> {
    const what = `chat conversations page ${page}`;
    const envelope = parsed(
      chatConversationPageSchema,
      await this.dify.consoleJson(this.appPath('chat-conversations'), { page, limit: CHAT_PAGE_SIZE, sort_by: '-updated_at', start: updatedSince }, what),
      what,
    );
    const { items, invalid } = parseItems(chatConversationSchema, envelope.data);
    return { total: envelope.total, hasMore: envelope.has_more, items, invalid };
  }

  /** Up to 100 messages of a conversation before `firstId` (the newest when absent), oldest first. */
  async messagesPage(conversationId: string, firstId: string | undefined): Promise<{ hasMore: boolean; items: ChatMessage[]; invalid: InvalidItem[] }> {
    const what = `messages of conversation ${conversationId}`;
    const envelope = parsed(
      chatMessagePageSchema,
      await this.dify.consoleJson(this.appPath('chat-messages'), { conversation_id: conversationId, limit: CHAT_PAGE_SIZE, first_id: firstId }, what),
      what,
    );
    const { items, invalid } = parseItems(chatMessageSchema, envelope.data);
    return { hasMore: envelope.has_more, items, invalid };
  }
}

/**
 * `YYYY-MM-DD HH:MM` for Dify's conversation filters: the minute at or before `instant` in
 * `zone`. Dify parses it with pytz and takes the later of two readings of an ambiguous local
 * time (DST end); when that reading lies after `instant`, an hour earlier is sent instead, so
 * the filter never starts after the instant asked for.
 */
export function consoleMinute(instant: DateTime, zone: string): string {
  const format = (at: DateTime): string => at.setZone(zone).toFormat('yyyy-MM-dd HH:mm');
  const text = format(instant);
  const readings = [0, 1, -1].map((hours) => instant.plus({ hours })).filter((at) => format(at) === text);
  return readings.some((at) => at > instant) ? format(instant.minus({ hours: 1 })) : text;
}

/** Who a conversation belongs to, from its listing entry (messages carry only opaque ids). */
export const conversationOwnerSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** The `user` value the caller sent (end-user session id); null for console users. */
  sessionId: z.string().nullable(),
  endUserId: z.string().nullable(),
  accountName: z.string().nullable(),
  /** Messages Dify counted when the conversation was listed. */
  messageCount: z.number().nullable(),
});
export type ConversationOwner = z.infer<typeof conversationOwnerSchema>;

/**
 * One collected chat message as stored in the raw NDJSON files: the message, its
 * conversation's owner, its place in the conversation (1 = first question), and for chatflow
 * messages the node executions of its workflow run (null: not collected or failed, see
 * `problems`).
 */
export const collectedMessageSchema = z.object({
  kind: z.literal('chat-message'),
  mode: z.string(),
  message: chatMessageSchema,
  conversation: conversationOwnerSchema,
  position: z.number(),
  nodes: z.array(nodeExecutionSchema).nullable(),
  problems: z.array(z.string()),
});
export type CollectedMessage = z.infer<typeof collectedMessageSchema>;
