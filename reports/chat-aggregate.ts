import { ratingsOf } from './chat-records';
import { compareText, DECIMALS, round } from './numbers';
import { answerOf, questionOf, truncate } from './qa';
import type { RunRecord } from './records';
import { localDate } from './time';
import { TopK } from './top';
import type { ReportContext } from './types';

/**
 * What only chat apps have, accumulated beside the run aggregates (aggregate.ts) in the same
 * streaming pass: feedback and satisfaction, conversations per day, conversation lengths,
 * one row per conversation and per rating, and the worst-rated answers.
 *
 * Satisfaction is likes ÷ (likes + dislikes) of END-USER ratings (`from_source` `user`);
 * ratings given in the console (`admin`) are counted beside it, never mixed in. Null when
 * nobody rated: an empty cell, not 0 %.
 */

export interface Ratings {
  likes: number;
  dislikes: number;
  adminLikes: number;
  adminDislikes: number;
  /** End-user likes ÷ (likes + dislikes), 4 decimals; null without end-user ratings. */
  satisfaction: number | null;
  /** The same of console ratings. */
  adminSatisfaction: number | null;
}

export interface ChatDay {
  date: string;
  conversations: number;
  ratings: Ratings;
}

export interface ConversationAggregate {
  conversationId: string;
  name: string;
  userId: string;
  /** Messages of this conversation inside the window. */
  messages: number;
  /** Place of the window's first and last message in the whole conversation. */
  firstPosition: number;
  lastPosition: number;
  firstAt: number;
  lastAt: number;
  ratings: Ratings;
}

export interface FeedbackRow {
  createdAt: number;
  messageId: string;
  conversationId: string;
  userId: string;
  source: string;
  rating: string;
  content: string;
  question: string;
  answer: string;
}

export interface RatedAnswer {
  createdAt: number;
  messageId: string;
  conversationId: string;
  userId: string;
  dislikes: number;
  adminDislikes: number;
  likes: number;
  /** Comments of the dislikes, `; `-joined. */
  comment: string;
  question: string;
  answer: string;
}

export interface LengthBucket {
  /** Inclusive bounds in messages; `to` null: and more. */
  from: number;
  to: number | null;
  conversations: number;
}

export interface ChatAggregates {
  ratings: Ratings;
  days: ChatDay[];
  /** By first message in the window, oldest first. */
  conversations: ConversationAggregate[];
  lengthDistribution: LengthBucket[];
  /** Every rating of a message in the window, oldest message first. */
  feedback: FeedbackRow[];
  /** Disliked answers, most disliked first (end-user dislikes, then console ones), then newest. */
  worstRated: RatedAnswer[];
}

const LENGTH_BUCKETS: readonly [number, number | null][] = [
  [1, 1],
  [2, 2],
  [3, 5],
  [6, 10],
  [11, 20],
  [21, null],
];
const TOP = 10;
const PREVIEW = 200;

interface RatingCounts {
  likes: number;
  dislikes: number;
  adminLikes: number;
  adminDislikes: number;
}

const noRatings = (): RatingCounts => ({ likes: 0, dislikes: 0, adminLikes: 0, adminDislikes: 0 });

function share(part: number, whole: number): number | null {
  return whole > 0 ? round(part / whole, DECIMALS.share) : null;
}

function ratingsFrom(counts: RatingCounts): Ratings {
  return { ...counts, satisfaction: share(counts.likes, counts.likes + counts.dislikes), adminSatisfaction: share(counts.adminLikes, counts.adminLikes + counts.adminDislikes) };
}

function addRatings(into: RatingCounts, record: RunRecord): void {
  const rated = ratingsOf(record);
  into.likes += rated.userLike;
  into.dislikes += rated.userDislike;
  into.adminLikes += rated.adminLike;
  into.adminDislikes += rated.adminDislike;
}

interface ConversationAcc extends Omit<ConversationAggregate, 'ratings'> {
  ratings: RatingCounts;
}

function compareMessages(a: { createdAt: number; messageId: string }, b: { createdAt: number; messageId: string }): number {
  return a.createdAt - b.createdAt || compareText(a.messageId, b.messageId);
}

export class ChatAccumulator {
  private readonly zone: string;
  private readonly totals = noRatings();
  private readonly days: Map<string, { conversations: Set<string>; ratings: RatingCounts }>;
  private readonly conversations = new Map<string, ConversationAcc>();
  private readonly feedback: FeedbackRow[] = [];
  private readonly worst = new TopK<RatedAnswer>(TOP, (a, b) => b.dislikes - a.dislikes || b.adminDislikes - a.adminDislikes || compareMessages(b, a));

  constructor(
    private readonly ctx: ReportContext,
    dates: readonly string[],
  ) {
    this.zone = ctx.window.timezone;
    this.days = new Map(dates.map((date) => [date, { conversations: new Set<string>(), ratings: noRatings() }]));
  }

  add(record: RunRecord): void {
    const chat = record.chat;
    if (!chat) return;
    const conversationId = record.conversationId ?? record.sessionId;
    addRatings(this.totals, record);
    const day = this.days.get(localDate(record.createdAt, this.zone));
    if (day) {
      // A conversation with messages on two days is a session of both.
      day.conversations.add(conversationId);
      addRatings(day.ratings, record);
    }

    const known = this.conversations.get(conversationId);
    const conversation: ConversationAcc = known ?? {
      conversationId,
      name: chat.conversationName,
      userId: record.userId,
      messages: 0,
      firstPosition: chat.position,
      lastPosition: chat.position,
      firstAt: record.createdAt,
      lastAt: record.createdAt,
      ratings: noRatings(),
    };
    conversation.messages += 1;
    conversation.firstPosition = Math.min(conversation.firstPosition, chat.position);
    conversation.lastPosition = Math.max(conversation.lastPosition, chat.position);
    conversation.firstAt = Math.min(conversation.firstAt, record.createdAt);
    conversation.lastAt = Math.max(conversation.lastAt, record.createdAt);
    addRatings(conversation.ratings, record);
    this.conversations.set(conversationId, conversation);

    if (chat.feedbacks.length === 0) return;
    const drop = this.ctx.redaction?.dropQaText === true;
    const question = drop ? '' : truncate(questionOf(record, this.ctx.questionFields), PREVIEW);
    const answer = drop ? '' : answerOf(record, this.ctx.answerFields, PREVIEW);
    for (const feedback of chat.feedbacks) {
      this.feedback.push({ createdAt: record.createdAt, messageId: chat.messageId, conversationId, userId: record.userId, source: feedback.source, rating: feedback.rating, content: feedback.content, question, answer });
    }
    const rated = ratingsOf(record);
    if (rated.userDislike + rated.adminDislike > 0) {
      const comment = chat.feedbacks
        .filter((feedback) => feedback.rating === 'dislike' && feedback.content !== '')
        .map((feedback) => feedback.content)
        .join('; ');
      this.worst.offer({ createdAt: record.createdAt, messageId: chat.messageId, conversationId, userId: record.userId, dislikes: rated.userDislike, adminDislikes: rated.adminDislike, likes: rated.userLike, comment, question, answer });
    }
  }

  finish(): ChatAggregates {
    const conversations = [...this.conversations.values()]
      .map((conversation): ConversationAggregate => ({ ...conversation, ratings: ratingsFrom(conversation.ratings) }))
      .sort((a, b) => a.firstAt - b.firstAt || compareText(a.conversationId, b.conversationId));
    const lengthDistribution = LENGTH_BUCKETS.map(([from, to]) => ({
      from,
      to,
      conversations: conversations.filter((conversation) => conversation.messages >= from && (to === null || conversation.messages <= to)).length,
    }));
    return {
      ratings: ratingsFrom(this.totals),
      days: [...this.days].map(([date, day]) => ({ date, conversations: day.conversations.size, ratings: ratingsFrom(day.ratings) })),
      conversations,
      lengthDistribution,
      feedback: [...this.feedback].sort((a, b) => compareMessages(a, b) || compareText(a.source, b.source)),
      worstRated: this.worst.values(),
    };
  }
}

/** `1`, `3–5`, `21+`: a length bucket's label. */
export function bucketLabel(bucket: LengthBucket): string {
  if (bucket.to === null) return `${bucket.from}+`;
  return bucket.from === bucket.to ? String(bucket.from) : `${bucket.from}–${bucket.to}`;
}
