import { z } from 'zod';

/**
 * Zod schemas for the Dify responses Difyscope reads (see shared contract, sections 2–4).
 * They accept every era's variant (RFC-822 or integer timestamps, JSON text or objects,
 * prices as numbers or decimal strings) and normalise to one shape.
 */

const RFC822_OR_ISO = /[A-Za-z]{3},? \d{1,2} [A-Za-z]{3} \d{4}|^\d{4}-\d{2}-\d{2}/;

/** Unix seconds from an integer, a numeric string, or an RFC-822 / ISO date string. */
export const timestampSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return Math.trunc(value);
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.trunc(Number(trimmed));
  const millis = RFC822_OR_ISO.test(trimmed) ? Date.parse(trimmed.replace(/ -0000$/, ' +0000')) : NaN;
  if (Number.isNaN(millis)) {
    ctx.addIssue({ code: 'custom', message: `unrecognised timestamp "${trimmed.slice(0, 40)}"` });
    return z.NEVER;
  }
  return Math.trunc(millis / 1000);
});

/** A decimal that Dify may serialise as a number or as a string ("0.0012340"). */
export const decimalSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const parsed = typeof value === 'number' ? value : Number(value.trim());
  if (!Number.isFinite(parsed)) {
    ctx.addIssue({ code: 'custom', message: `not a number: "${String(value).slice(0, 40)}"` });
    return z.NEVER;
  }
  return parsed;
});

/** A JSON object that Dify may send as JSON text (raw Text column) or as an object. */
export const jsonObjectSchema = z
  .union([z.string(), z.record(z.string(), z.unknown()), z.null()])
  .transform((value, ctx): Record<string, unknown> | null => {
    if (value === null) return null;
    if (typeof value !== 'string') return value;
    if (value.trim() === '') return null;
    try {
      const parsed: unknown = JSON.parse(value);
      if (parsed === null) return null;
      if (typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
      return { value: parsed };
    } catch {
      ctx.addIssue({ code: 'custom', message: 'JSON text that does not parse' });
      return z.NEVER;
    }
  });

export const endUserSchema = z.object({
  id: z.string(),
  type: z.string().nullish(),
  is_anonymous: z.boolean().nullish(),
  session_id: z.string().nullish(),
});

export const accountSchema = z.object({
  id: z.string(),
  name: z.string().nullish(),
  email: z.string().nullish(),
});

export const logRunSchema = z.object({
  id: z.string(),
  version: z.string().nullish(),
  status: z.string(),
  triggered_from: z.string().nullish(),
  error: z.string().nullish(),
  elapsed_time: decimalSchema.nullish(),
  total_tokens: decimalSchema.nullish(),
  total_steps: decimalSchema.nullish(),
  created_at: timestampSchema,
  finished_at: timestampSchema.nullish(),
  exceptions_count: z.number().nullish(),
});

export const workflowLogSchema = z.object({
  id: z.string(),
  workflow_run: logRunSchema.nullable(),
  created_from: z.string().nullish(),
  created_by_role: z.string().nullish(),
  created_by_account: accountSchema.nullish(),
  created_by_end_user: endUserSchema.nullish(),
  created_at: timestampSchema,
});

export const workflowLogPageSchema = z.object({
  page: z.number(),
  limit: z.number(),
  total: z.number(),
  has_more: z.boolean(),
  data: z.array(z.unknown()),
});

export const runDetailSchema = z.object({
  id: z.string(),
  workflow_id: z.string().nullish(),
  status: z.string(),
  inputs: jsonObjectSchema.nullish(),
  outputs: jsonObjectSchema.nullish(),
  error: z.string().nullish(),
  total_steps: decimalSchema.nullish(),
  total_tokens: decimalSchema.nullish(),
  created_at: timestampSchema.nullish(),
  finished_at: timestampSchema.nullish(),
  elapsed_time: decimalSchema.nullish(),
});

/**
 * A node's inputs, outputs or process data, passed through as Dify sent it: these hold prompts
 * and retrieved segments and can be large, while the reports read a few fields of a few node
 * types, so they are checked for being objects, not copied key by key.
 */
const nodePayloadSchema = z.custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), { message: 'expected an object' });

export const nodeExecutionSchema = z.object({
  id: z.string(),
  index: z.number(),
  predecessor_node_id: z.string().nullish(),
  node_id: z.string(),
  node_type: z.string(),
  title: z.string().nullish(),
  inputs: nodePayloadSchema.nullish(),
  process_data: nodePayloadSchema.nullish(),
  outputs: nodePayloadSchema.nullish(),
  /** Set (~1.9+) when Dify offloaded a large value and sent a cut-down one. */
  inputs_truncated: z.boolean().nullish(),
  outputs_truncated: z.boolean().nullish(),
  process_data_truncated: z.boolean().nullish(),
  status: z.string(),
  error: z.string().nullish(),
  elapsed_time: decimalSchema.nullish(),
  execution_metadata: z
    .object({
      total_tokens: decimalSchema.nullish(),
      total_price: decimalSchema.nullish(),
      currency: z.string().nullish(),
    })
    .loose()
    .nullish(),
  created_at: timestampSchema.nullish(),
  finished_at: timestampSchema.nullish(),
});

export const nodeExecutionListSchema = z.object({ data: z.array(z.unknown()) });

export const serverInfoSchema = z.object({
  server_version: z.string().optional(),
  api_version: z.string().optional(),
  welcome: z.string().optional(),
});

export const appInfoSchema = z.object({
  name: z.string(),
  description: z.string().nullish(),
  mode: z.string().nullish(),
  author_name: z.string().nullish(),
});

/** `GET /v1/parameters`: only the upload feature is read (1.x `{enabled, …}` or `{}`; 0.x `{image: {enabled}}`). */
export const appParametersSchema = z
  .object({
    file_upload: z
      .object({ enabled: z.boolean().nullish(), image: z.object({ enabled: z.boolean().nullish() }).loose().nullish() })
      .loose()
      .nullish(),
  })
  .loose();

export const errorEnvelopeSchema = z.object({
  code: z.string().optional(),
  message: z.unknown().optional(),
  status: z.number().optional(),
  params: z.string().optional(),
});

export type WorkflowLog = z.infer<typeof workflowLogSchema>;
export type RunDetail = z.infer<typeof runDetailSchema>;
export type NodeExecution = z.infer<typeof nodeExecutionSchema>;
export type AppInfo = z.infer<typeof appInfoSchema>;

/**
 * One collected workflow run as stored in the raw NDJSON files and read by the report code.
 * `detail` and `nodes` are null when not collected at this level or when fetching failed;
 * `problems` says why, so a report can state its own completeness.
 */
export const collectedRunSchema = z.object({
  log: workflowLogSchema,
  detail: runDetailSchema.nullable(),
  nodes: z.array(nodeExecutionSchema).nullable(),
  problems: z.array(z.string()),
  /** `nodes`: the detail was built from the log item and node executions, not asked for (absent: asked for). */
  detailFrom: z.literal('nodes').optional(),
});
export type CollectedRun = z.infer<typeof collectedRunSchema>;
