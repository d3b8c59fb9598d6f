import { z } from 'zod';
import { decimalSchema, nodeExecutionSchema, timestampSchema } from './dify-schemas';

/**
 * Zod schemas of chat apps' console answers (`advanced-chat` chatflows, `chat` chatbots,
 * `agent-chat` agents) and of the chat messages Difyscope collects from them: read by the
 * collection (activities/dify/chat-api.ts) and by the reports (reports/prepare.ts).
 *
 * Every field below was read from Dify 1.14.1's source (`controllers/console/app/conversation.py`,
 * `controllers/console/app/message.py`, `fields/conversation_fields.py`) and checked against a
 * real 1.14.1 server (shared/real-dify).
 */

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

/** An item of a page that failed validation: kept aside with the reason, so the report can count it. */
export const invalidItemSchema = z.object({ id: z.string().nullable(), reason: z.string() });
export type InvalidItem = z.infer<typeof invalidItemSchema>;

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
