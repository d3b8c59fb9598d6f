import { z } from 'zod';
import { invalidItemSchema } from './dify-chat-schemas';

/**
 * What the collection activities heartbeat and keep beside their scratch files: the points a
 * retried attempt resumes from, and the headers and counts of the files it resumes with. A
 * resumed attempt parses them with these schemas (an earlier release's or a damaged one is not
 * resumed from), and the CLI's live progress reads the same heartbeats.
 */

// ---- Workflow logs (activities/collect-logs.ts, activities/log-answers.ts) ----

export const RUN_STATUSES = ['succeeded', 'failed', 'stopped'] as const;

/** What was asked: a page of the window, or of the logs up to (and from) a given second. */
export const answerRequestSchema = z.object({
  page: z.number(),
  limit: z.number(),
  /** Inclusive bounds in epoch seconds, when narrower than the window. */
  before: z.number().optional(),
  after: z.number().optional(),
  /** 'offset': paged by page number over a Dify that ignores the date filters. */
  mode: z.enum(['cursor', 'offset']),
  /** Offset: a page of another size than the first pass's, asked only for the runs it adds. */
  probe: z.boolean().optional(),
  /** Only runs of this status: a crowded second is split by status. */
  status: z.enum(RUN_STATUSES).optional(),
});
export type AnswerRequest = z.infer<typeof answerRequestSchema>;

/** A log entry that failed validation, kept aside with the reason. */
export const invalidLogSchema = z.object({ logId: z.string().nullable(), reason: z.string() });
export type InvalidLog = z.infer<typeof invalidLogSchema>;

/** First line of a saved answer: the request and what Dify said of it; the entries follow. */
export const answerHeaderSchema = z.object({
  kind: z.literal('answer'),
  seq: z.number(),
  request: answerRequestSchema,
  total: z.number(),
  hasMore: z.boolean(),
  /** Entries Dify returned, whatever became of them (kept, outside the window, invalid). */
  received: z.number(),
  outsideWindow: z.number(),
  oldest: z.number().nullable(),
  invalid: z.array(invalidLogSchema),
});
export type AnswerHeader = z.infer<typeof answerHeaderSchema>;

/** `[attempt, last answer it wrote]` pairs, oldest first: which file holds answer n. */
export const writersSchema = z.array(z.tuple([z.number(), z.number()]));
export type Writers = z.infer<typeof writersSchema>;

/**
 * A second with more runs than a page, asked for on its own: pass 0 pages it whole (and learns
 * Dify's count of it), then one page per run status (each usually fits a page, so no offset
 * cuts through the tie), then passes with other page sizes until every run is in.
 */
export const crowdedSecondSchema = z.object({
  second: z.number(),
  page: z.number(),
  passes: z.number(),
  /** Page size of this pass: each pass after the split uses another, so offsets cut elsewhere. */
  limit: z.number(),
  /** Dify's count of runs in the second (from the unfiltered pages). */
  total: z.number().optional(),
  /** Next status to ask for, once pass 0 fell short; RUN_STATUSES.length when the split is done. */
  split: z.number().optional(),
});
export type CrowdedSecond = z.infer<typeof crowdedSecondSchema>;

/**
 * Where a retried log collection resumes: the paging state after the last answer on disk.
 * Dify orders logs by `created_at` alone, in whole seconds, and PostgreSQL returns the rows of
 * a tied second in a different order for each LIMIT/OFFSET query, so offsets skip some runs
 * and repeat others. Where Dify has date filters the collection walks a time cursor down the
 * window instead; where it has none (0.x), it pages by offset and asks again for the pages
 * that cut through a tied second until every position of that second is accounted for.
 */
export const logProgressSchema = z.object({
  /** Answers saved so far (numbered from 1). */
  answers: z.number(),
  /** Which attempt wrote which answers, so a resumed attempt reads exactly this chain. */
  writers: writersSchema,
  mode: z.enum(['cursor', 'offset']),
  /** Passes over the whole window: a second one runs when the first fell short of Dify's count. */
  pass: z.number(),
  /** Cursor: the newest second not yet known to be complete (inclusive). */
  before: z.number(),
  crowded: crowdedSecondSchema.optional(),
  /** Offset: the next page of the first pass. */
  page: z.number(),
  /** Offset, after the first pass: rounds of re-asking done, and the pages left in this round. */
  rounds: z.number().optional(),
  queue: z.array(z.number()).optional(),
  /** Page size of the pages in `queue`: every other round another one, so offsets cut elsewhere. */
  queueLimit: z.number().optional(),
  /** Answers that asked again for runs already asked about (crowded seconds, cut pages, second pass). */
  refetched: z.number(),
  /** Dify's count of the window, once paging is over. */
  expected: z.number().optional(),
  done: z.boolean().optional(),
});
export type LogProgress = z.infer<typeof logProgressSchema>;

// ---- Run details (activities/collect-details.ts) ----

/** Runs per durable chunk of run details: the unit a retried attempt resumes from. */
export const DETAIL_CHUNK_SIZE = 250;

/**
 * What a retried detail collection resumes from: the chunks safely on disk. Sent when a chunk
 * is saved; between chunks keep-alive heartbeats repeat it (see activities/liveness.ts).
 */
export const detailProgressSchema = z.object({
  chunksDone: z.number().int().nonnegative(),
  /** File name (without extension) of each saved chunk, by index: each was written by the attempt that saved it. */
  chunks: z.array(z.string()).optional(),
});
export type DetailProgress = z.infer<typeof detailProgressSchema>;

/** The counts saved beside each chunk of run details (`<chunk>.json`). */
export const detailChunkCountsSchema = z.object({
  runs: z.number(),
  detailsFetched: z.number(),
  /** Run-detail requests made; the rest of the details were built from node executions. */
  detailRequests: z.number(),
  detailFailures: z.number(),
  nodesFetched: z.number(),
  nodeFailures: z.number(),
  /** Why runs needed their run detail, by reason. */
  fallbacks: z.record(z.string(), z.number()),
});
export type DetailChunkCounts = z.infer<typeof detailChunkCountsSchema>;

// ---- Chat apps (activities/collect-chat.ts) ----

/** What a retried chat collection resumes from: the listing and the chunks of conversations on disk. */
export const chatProgressSchema = z.object({
  listed: z.boolean().optional(),
  /** The conversation listing's file name, written by the attempt that listed. */
  listing: z.string().optional(),
  chunksDone: z.number().int().nonnegative().optional(),
  /** File name of each saved chunk, by index: each was written by the attempt that saved it. */
  chunks: z.array(z.string()).optional(),
  /** Conversations of the chunk in progress done so far: liveness only, never resumed from. */
  inChunk: z.number().optional(),
});
export type ChatProgress = z.infer<typeof chatProgressSchema>;

/** First line of each saved chunk of conversations: what walking them found. */
export const chatChunkCountsSchema = z.object({
  messages: z.number(),
  conversationsInWindow: z.number(),
  conversationFailures: z.number(),
  conversationsGone: z.number(),
  messagesShort: z.number(),
  invalid: z.number(),
  nodesFetched: z.number(),
  nodeFailures: z.number(),
});
export type ChatChunkCounts = z.infer<typeof chatChunkCountsSchema>;

/** First line of the saved conversation listing; the conversations follow. */
export const chatListingHeaderSchema = z.object({
  expected: z.number(),
  pages: z.number(),
  invalid: z.array(invalidItemSchema),
});
export type ChatListingHeader = z.infer<typeof chatListingHeaderSchema>;
