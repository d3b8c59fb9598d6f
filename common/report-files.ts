import { z } from 'zod';
import { completenessSchema } from './contracts';
import { reportWindowSchema } from './window';

/**
 * The report files that are read back after they are written (reports/SCHEMA.md).
 *
 * The parts of report.json (schema `difyscope.report/1`) that are read back:
 * by the next periods (figures, error signatures: activities/earlier-reports.ts), by the
 * notifications (changes, errors: activities/notify/report-extras.ts) and by `rerender`
 * (app, window, completeness). Within `/1` fields are only added, so each reader picks the
 * fields it needs and ignores the rest.
 */

/** The headline figures: what notifications quote and the next period compares against. */
export const reportFiguresSchema = z.object({
  runs: z.number(),
  succeeded: z.number(),
  failed: z.number(),
  users: z.number(),
  sessions: z.number(),
  totalTokens: z.number(),
  cost: z.record(z.string(), z.number()),
  p50ElapsedSeconds: z.number().nullable(),
  p95ElapsedSeconds: z.number().nullable(),
  tokenSpeed: z.number().nullable(),
  /** Chat apps only: end-user likes ÷ (likes + dislikes), null when nobody rated. */
  satisfaction: z.number().nullable().optional(),
});
export type ReportFigures = z.infer<typeof reportFiguresSchema>;

export const CHANGE_FIGURES = ['runs', 'succeeded', 'failed', 'users', 'sessions', 'totalTokens', 'p50ElapsedSeconds', 'p95ElapsedSeconds', 'tokenSpeed', 'satisfaction', 'cost'] as const;

/** A headline figure against the previous period (day over day for daily reports, week over week for weekly). */
export const changeSchema = z.object({
  figure: z.enum(CHANGE_FIGURES),
  /** Only for `cost`. */
  currency: z.string().optional(),
  current: z.number().nullable(),
  previous: z.number().nullable(),
  delta: z.number().nullable(),
  /** Null when the previous value is zero or unknown: a change from nothing has no percentage. */
  deltaPercent: z.number().nullable(),
});
export type Change = z.infer<typeof changeSchema>;

/** What readers take of an `errors` entry (it holds more: first and last seen, examples, isNew). */
export const reportErrorSchema = z.object({
  signature: z.string(),
  /** The first failed node's title; empty when none. */
  node: z.string().optional().default(''),
  count: z.number(),
});
export type ReportError = z.infer<typeof reportErrorSchema>;

export const reportJsonSchema = z.object({
  app: z.object({ key: z.string() }),
  window: reportWindowSchema,
  completeness: completenessSchema,
  figures: reportFiguresSchema,
  /** Only when an earlier report of the same kind exists. */
  changes: z.array(changeSchema).optional(),
  /** Absent in reports of an older schema. */
  errors: z.array(reportErrorSchema).optional(),
  /** Chat apps only. */
  chat: z.object({}).loose().optional(),
});

/** users.json: short hashes of a period's users, for new vs returning users (reports/user-history.ts). */
export const USERS_SCHEMA = 'difyscope.users/1';

export const usersFileSchema = z.object({
  schema: z.literal(USERS_SCHEMA),
  window: reportWindowSchema.pick({ from: true, to: true, label: true }),
  users: z.array(z.string()),
});
export type UsersFile = z.infer<typeof usersFileSchema>;
