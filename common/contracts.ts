import { z } from 'zod';
import { collectLevelSchema, localeSchema, reportFormatSchema, timezoneSchema } from './report-options';
import { reportWindowSchema, windowKindSchema } from './window';

/**
 * The data that crosses the workflow boundary. Small by design: app keys, window bounds,
 * counts and file paths — never records, tokens or passwords.
 */

/** What `temporal workflow start --input` or our CLI passes to `reportWorkflow`. */
export const reportRequestSchema = z.object({
  /** App key from the worker's configuration. */
  app: z.string().min(1),
  /** `YYYY-MM-DD` (whole local day) or an ISO timestamp with offset (exact bound). */
  from: z.string().min(1),
  /** `YYYY-MM-DD` (inclusive local day) or an ISO timestamp with offset (exclusive bound). */
  to: z.string().min(1),
  level: collectLevelSchema.optional(),
  formats: z.array(reportFormatSchema).optional(),
  locale: localeSchema.optional(),
  notify: z.boolean().optional(),
  /** Set by the scheduled workflows: `from`/`to` are then exact bounds of a daily or weekly period. */
  kind: windowKindSchema.optional(),
});
export type ReportRequest = z.infer<typeof reportRequestSchema>;

/**
 * Timeouts of the report's activities, from the worker's settings and the window's length
 * (milliseconds). Absent in plans made by releases before they existed.
 */
export const activityTimeoutsSchema = z.object({
  /** ACTIVITY_HEARTBEAT_TIMEOUT: how soon an attempt on a worker that died is retried elsewhere. */
  heartbeatMs: z.number().int().positive(),
  collectMs: z.number().int().positive(),
  mergeMs: z.number().int().positive(),
  renderMs: z.number().int().positive(),
  notifyMs: z.number().int().positive(),
  /**
   * Heartbeat timeout of the notification steps: at least half a minute, because a timed-out
   * attempt may still be sending (charts are drawn on the event loop) when its retry starts.
   */
  notifyHeartbeatMs: z.number().int().positive().optional(),
});
export type ActivityTimeouts = z.infer<typeof activityTimeoutsSchema>;

/** The request after the worker resolved it against its configuration. */
export const reportPlanSchema = z.object({
  app: z.string(),
  appName: z.string(),
  window: reportWindowSchema,
  level: collectLevelSchema,
  formats: z.array(reportFormatSchema),
  locale: localeSchema,
  /** Folder for this report, relative to OUTPUT_DIR: `<app>/<kind>/<label>`. */
  folder: z.string(),
  /** Scratch folder for raw records while collecting, relative to OUTPUT_DIR. */
  workDir: z.string(),
  /** The previous period's folder (same kind), whose report.json gives the changes. */
  previousFolder: z.string(),
  timeouts: activityTimeoutsSchema.optional(),
});
export type ReportPlan = z.infer<typeof reportPlanSchema>;

/** What collecting a chat app found, beside the message counts (see activities/collect-chat.ts). */
export const chatCollectionSchema = z.object({
  mode: z.string(),
  /** Dify's total of conversations updated since the window start. */
  conversationsExpected: z.number(),
  conversationsListed: z.number(),
  /** Conversations with at least one message in the window: the window's sessions. */
  conversationsInWindow: z.number(),
  /** Conversations whose messages could not be read after retries. */
  conversationFailures: z.number(),
  /** Conversations deleted between listing and reading. */
  conversationsGone: z.number(),
  /** Messages Dify counted but the walk did not return. */
  messagesShort: z.number(),
});
export type ChatCollection = z.infer<typeof chatCollectionSchema>;

export const logCollectionSchema = z.object({
  /** What Dify's `total` said the window holds (first page). */
  expected: z.number(),
  fetched: z.number(),
  duplicates: z.number(),
  /** Records that failed validation, kept aside with the reason. */
  invalid: z.number(),
  pages: z.number(),
  /** Pages fetched a second time because they came back short of Dify's total (absent: not tracked). */
  refetchedPages: z.number().optional(),
  /** Time shards the window was collected in (absent: one). */
  shards: z.number().optional(),
  /** Raw log records, NDJSON gzip, relative to OUTPUT_DIR. */
  file: z.string(),
  /** Chat apps: what listing conversations and walking their messages found (see collect-chat.ts). */
  chat: chatCollectionSchema.optional(),
});
export type LogCollection = z.infer<typeof logCollectionSchema>;

export const detailCollectionSchema = z.object({
  runs: z.number(),
  detailsFetched: z.number(),
  /** Run-detail requests made; at level `nodes` most details are built from node executions (absent: one per run). */
  detailRequests: z.number().optional(),
  detailFailures: z.number(),
  nodesFetched: z.number(),
  nodeFailures: z.number(),
  file: z.string(),
});
export type DetailCollection = z.infer<typeof detailCollectionSchema>;

/** What collecting one window (or one shard of it) produced: the result of a shard workflow. */
export const collectionSchema = z.object({
  logs: logCollectionSchema,
  details: detailCollectionSchema,
});
export type Collection = z.infer<typeof collectionSchema>;

export const completenessSchema = z.object({
  level: collectLevelSchema,
  expected: z.number(),
  fetched: z.number(),
  duplicates: z.number(),
  invalid: z.number(),
  detailFailures: z.number(),
  nodeFailures: z.number(),
  complete: z.boolean(),
  /** Chat apps: the collection's figures, so a re-render states the same completeness. */
  chat: chatCollectionSchema.optional(),
  /** One human line, e.g. `complete: 120 of 120 runs, details for all`. */
  line: z.string(),
});
export type Completeness = z.infer<typeof completenessSchema>;

export const reportSummarySchema = z.object({
  app: z.string(),
  window: reportWindowSchema,
  folder: z.string(),
  files: z.array(z.string()),
  runs: z.number(),
  succeeded: z.number(),
  failed: z.number(),
  users: z.number(),
  totalTokens: z.number(),
  cost: z.record(z.string(), z.number()),
  p95ElapsedSeconds: z.number().nullable(),
  completeness: completenessSchema,
  /** Chat apps only: the app mode, conversations in the window and end-user satisfaction (null: nobody rated). */
  mode: z.string().optional(),
  sessions: z.number().optional(),
  satisfaction: z.number().nullable().optional(),
  /** Set by the workflow after delivery: one entry per channel. */
  notifications: z.array(z.object({ channel: z.string(), status: z.string(), detail: z.string() })).optional(),
});
export type ReportSummary = z.infer<typeof reportSummarySchema>;

export const progressSchema = z.object({
  phase: z.enum(['starting', 'collecting-logs', 'collecting-details', 'rendering', 'notifying', 'done', 'failed']),
  logsFetched: z.number(),
  logsExpected: z.number().nullable(),
  detailsFetched: z.number(),
  folder: z.string().nullable(),
});
export type Progress = z.infer<typeof progressSchema>;

/** Input of the scheduled workflows, written into each Schedule's action by `schedules apply`. */
export const scheduledReportInputSchema = z.object({
  app: z.string().min(1),
  timezone: timezoneSchema,
  /** Daily only: false means no weekend runs, and Monday's report covers Friday to Sunday. */
  weekends: z.boolean().optional(),
  /** Explicit reference time for runs started outside a Schedule; a Schedule's own time wins. */
  at: z.string().optional(),
});
export type ScheduledReportInput = z.infer<typeof scheduledReportInputSchema>;
