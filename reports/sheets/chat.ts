import type { Aggregates } from '../aggregate';
import type { ChatAggregates } from '../chat-aggregate';
import { project, type Sheet } from '../csv';
import { cell, costCells, seconds } from '../numbers';
import { cellText } from '../qa';
import type { RunRecord } from '../records';
import { localIso } from '../time';
import type { ReportContext } from '../types';

/**
 * The sheets only chat apps have, English-named in every locale like the other engineering
 * sheets: `messages.csv` (in place of runs.csv), `conversations.csv` and `feedback.csv`.
 */

type Columns<K extends string> = readonly (readonly [K, string])[];
const same = <K extends string>(keys: readonly K[]): Columns<K> => keys.map((key) => [key, key] as const);

export const MESSAGES_FILE = 'messages.csv';
export const CONVERSATIONS_FILE = 'conversations.csv';
export const FEEDBACK_FILE = 'feedback.csv';

type MessagesKey =
  | 'message_id' | 'conversation_id' | 'position' | 'workflow_run_id' | 'status' | 'created_at' | 'elapsed_time' | 'total_tokens' | 'user_id'
  | 'from_source' | 'user_rating' | 'admin_rating' | 'feedback' | 'error' | 'cost' | 'currency' | 'detail_status';
const MESSAGE_COLUMNS = same<MessagesKey>([
  'message_id', 'conversation_id', 'position', 'workflow_run_id', 'status', 'created_at', 'elapsed_time', 'total_tokens', 'user_id',
  'from_source', 'user_rating', 'admin_rating', 'feedback', 'error', 'cost', 'currency', 'detail_status',
]);

export function messagesHeader(): string[][] {
  return [MESSAGE_COLUMNS.map(([, header]) => header)];
}

/** One message, oldest first; `status` is Dify's own (`normal`, `error`, `paused`). */
export function messagesRow(record: RunRecord, ctx: ReportContext): string[] {
  const feedbacks = record.chat?.feedbacks ?? [];
  const ratingOf = (source: string): string => feedbacks.find((feedback) => (source === 'admin' ? feedback.source === 'admin' : feedback.source !== 'admin'))?.rating ?? '';
  const fields: Record<MessagesKey, string> = {
    message_id: record.chat?.messageId ?? record.logId,
    conversation_id: record.conversationId ?? '',
    position: cell(record.chat?.position),
    workflow_run_id: record.runId,
    status: record.chat?.messageStatus ?? record.status,
    created_at: localIso(record.createdAt, ctx.window.timezone),
    elapsed_time: cell(record.elapsedSeconds === null ? null : seconds(record.elapsedSeconds)),
    total_tokens: String(record.totalTokens),
    user_id: record.userId,
    from_source: record.createdFrom,
    user_rating: ratingOf('user'),
    admin_rating: ratingOf('admin'),
    feedback: cellText(feedbacks.map((feedback) => feedback.content).filter((content) => content !== '').join('; ')),
    error: cellText(record.error ?? ''),
    ...costCells(record.cost),
    detail_status: record.detailStatus,
  };
  return MESSAGE_COLUMNS.map(([key]) => fields[key]);
}

type ConversationsKey =
  | 'conversation_id' | 'name' | 'user_id' | 'messages' | 'first_position' | 'last_position' | 'first_message_at' | 'last_message_at'
  | 'likes' | 'dislikes' | 'satisfaction' | 'admin_likes' | 'admin_dislikes';
const CONVERSATION_COLUMNS = same<ConversationsKey>([
  'conversation_id', 'name', 'user_id', 'messages', 'first_position', 'last_position', 'first_message_at', 'last_message_at',
  'likes', 'dislikes', 'satisfaction', 'admin_likes', 'admin_dislikes',
]);

/** Every conversation with messages in the window, by its first message there; `messages` counts those. */
export function conversationsSheet(chat: ChatAggregates, ctx: ReportContext): Sheet {
  const zone = ctx.window.timezone;
  const rows = chat.conversations.map((conversation): Record<ConversationsKey, string> => ({
    conversation_id: conversation.conversationId,
    name: cellText(conversation.name),
    user_id: conversation.userId,
    messages: String(conversation.messages),
    first_position: String(conversation.firstPosition),
    last_position: String(conversation.lastPosition),
    first_message_at: localIso(conversation.firstAt, zone),
    last_message_at: localIso(conversation.lastAt, zone),
    likes: String(conversation.ratings.likes),
    dislikes: String(conversation.ratings.dislikes),
    satisfaction: cell(conversation.ratings.satisfaction),
    admin_likes: String(conversation.ratings.adminLikes),
    admin_dislikes: String(conversation.ratings.adminDislikes),
  }));
  return { name: CONVERSATIONS_FILE, rows: project(CONVERSATION_COLUMNS, rows) };
}

type FeedbackKey = 'message_created_at' | 'message_id' | 'conversation_id' | 'user_id' | 'source' | 'rating' | 'content' | 'question' | 'answer';
const FEEDBACK_COLUMNS = same<FeedbackKey>(['message_created_at', 'message_id', 'conversation_id', 'user_id', 'source', 'rating', 'content', 'question', 'answer']);

/**
 * Every rating of a message in the window. Dify's answers carry no time of the rating itself,
 * so the message's time stands for it; question and answer are previews.
 */
export function feedbackSheet(chat: ChatAggregates, ctx: ReportContext): Sheet {
  const zone = ctx.window.timezone;
  const rows = chat.feedback.map((row): Record<FeedbackKey, string> => ({
    message_created_at: localIso(row.createdAt, zone),
    message_id: row.messageId,
    conversation_id: row.conversationId,
    user_id: row.userId,
    source: row.source,
    rating: row.rating,
    content: cellText(row.content),
    question: row.question,
    answer: row.answer,
  }));
  return { name: FEEDBACK_FILE, rows: project(FEEDBACK_COLUMNS, rows) };
}

/** The chat sheets made from the aggregates (messages.csv is written row by row). */
export function chatSheets(aggregates: Aggregates, ctx: ReportContext): Sheet[] {
  return aggregates.chat === null ? [] : [conversationsSheet(aggregates.chat, ctx), feedbackSheet(aggregates.chat, ctx)];
}
