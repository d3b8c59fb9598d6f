import { z } from 'zod';
import { IANAZone } from 'luxon';

/**
 * Every setting Difyscope reads from the environment (or `.env`). This schema is the single
 * source for validation, for the types the code uses, and for the README's configuration table.
 */

const emptyAsUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const optionalString = () => z.preprocess(emptyAsUndefined, z.string().trim().optional());
const positiveInt = (fallback: number, max: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(max).default(fallback));

export const REPORT_FORMATS = ['csv', 'md', 'json', 'html'] as const;
export const COLLECT_LEVELS = ['logs', 'details', 'nodes'] as const;
export const CONSOLE_AUTH_MODES = ['auto', 'legacy', 'tokenpair', 'cookie', 'cookie-base64'] as const;

export const collectLevelSchema = z.enum(COLLECT_LEVELS);
export const reportFormatSchema = z.enum(REPORT_FORMATS);
export const localeSchema = z.enum(['en', 'zh-CN']);

const timezoneSchema = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .default('UTC')
    .refine((zone) => IANAZone.isValidZone(zone), { message: 'unknown time zone; use an IANA name such as Asia/Shanghai or UTC' }),
);

const baseUrlSchema = z.preprocess(
  emptyAsUndefined,
  z
    .string({ error: 'is required: the address of your Dify server, e.g. https://dify.example.com' })
    .trim()
    .refine((value) => /^https?:\/\/[^\s/]+/i.test(value) && URL.canParse(value), {
      message: 'must be an http(s) URL such as https://dify.example.com',
    })
    .refine((value) => !/\/v1\/?$/.test(value), { message: 'must not end with /v1; give the server address only' })
    .transform((value) => value.replace(/\/+$/, '')),
);

export const envSchema = z
  .object({
    DIFY_BASE_URL: baseUrlSchema.describe('Dify server address, without `/v1` (required)'),
    DIFY_API_TOKEN: z
      .preprocess(emptyAsUndefined, z.string({ error: 'is required: the app\'s service API key (app-…) from Dify → API Access' }).trim().min(8, 'looks too short for a Dify API key'))
      .describe('Service API key of the workflow app (`app-…`) (required)'),
    DIFY_APP_ID: optionalString()
      .refine((value) => value === undefined || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value), {
        message: 'must be the app UUID from the Dify console URL (/app/<uuid>/…)',
      })
      .describe('Console app id (UUID); needed for node executions'),
    DIFY_CONSOLE_EMAIL: optionalString().describe('Console account e-mail (for node executions)'),
    DIFY_CONSOLE_PASSWORD: optionalString().describe('Console account password'),
    DIFY_CONSOLE_TOKEN: optionalString().describe('Pre-issued console access token, instead of e-mail and password'),
    DIFY_CONSOLE_AUTH: z
      .preprocess(emptyAsUndefined, z.enum(CONSOLE_AUTH_MODES).default('auto'))
      .describe('Console login flavour: `auto` (from the server version), `legacy`, `tokenpair`, `cookie`, `cookie-base64`'),
    DIFY_COLLECT_LEVEL: z
      .preprocess(emptyAsUndefined, collectLevelSchema.optional())
      .describe('`logs`, `details` or `nodes`; default `nodes` with console credentials, else `details`'),
    DIFY_CONCURRENCY: positiveInt(8, 64).describe('Parallel detail/node requests to Dify'),
    DIFY_REQUEST_TIMEOUT_MS: positiveInt(30_000, 600_000).describe('Timeout of one Dify request (ms)'),
    DIFY_MAX_RETRIES: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(20).default(4)).describe('In-process retries of one Dify request on 429/5xx/timeouts'),
    APP_KEY: z
      .preprocess(emptyAsUndefined, z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, 'use letters, digits, - and _ only (it names folders and workflow ids)').default('default'))
      .describe('Short key of the app, used in folder names and workflow ids'),
    APP_NAME: optionalString().describe('Display name of the app in reports (default: the app key)'),
    REPORT_TIMEZONE: timezoneSchema.describe('IANA time zone of days and weeks in reports'),
    REPORT_LOCALE: z.preprocess(emptyAsUndefined, localeSchema.default('en')).describe('`en` or `zh-CN` (the predecessor\'s sheet names and headers)'),
    REPORT_FORMATS: z
      .preprocess(emptyAsUndefined, z.string().default('csv,md,json,html'))
      .transform((value, ctx) => {
        const formats = value.split(',').map((item) => item.trim()).filter(Boolean);
        const unknown = formats.filter((item) => !(REPORT_FORMATS as readonly string[]).includes(item));
        if (unknown.length > 0 || formats.length === 0) {
          ctx.addIssue({ code: 'custom', message: `unknown format ${unknown.join(',') || '(none)'}; use a comma list of ${REPORT_FORMATS.join(',')}` });
          return z.NEVER;
        }
        return [...new Set(formats)] as (typeof REPORT_FORMATS)[number][];
      })
      .describe('Comma list of report formats: `csv,md,json,html`'),
    REPORT_QUESTION_FIELD: z.preprocess(emptyAsUndefined, z.string().default('query')).describe('Run input holding the question (falls back to `sys.query`)'),
    REPORT_ANSWER_FIELD: z.preprocess(emptyAsUndefined, z.string().default('text')).describe('Run output holding the answer'),
    REPORT_ANSWER_MAX_LENGTH: positiveInt(4000, 1_000_000).describe('Answers longer than this are cut in the Q&A sheet'),
    OUTPUT_DIR: z.preprocess(emptyAsUndefined, z.string().default('./outputs')).describe('Where reports and raw records are written'),
    TEMPORAL_ADDRESS: optionalString().describe('Temporal frontend `host:port`; unset: `demo`/`dev` start an embedded dev server, others use localhost:7233'),
    TEMPORAL_NAMESPACE: z.preprocess(emptyAsUndefined, z.string().default('default')).describe('Temporal namespace'),
    TEMPORAL_TASK_QUEUE: z.preprocess(emptyAsUndefined, z.string().default('difyscope')).describe('Task queue of the Difyscope worker'),
    LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(['debug', 'info', 'warn', 'error']).default('info')).describe('Worker log level'),
  })
  .superRefine((env, ctx) => {
    const hasPassword = env.DIFY_CONSOLE_EMAIL !== undefined || env.DIFY_CONSOLE_PASSWORD !== undefined;
    if (hasPassword && (env.DIFY_CONSOLE_EMAIL === undefined || env.DIFY_CONSOLE_PASSWORD === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.DIFY_CONSOLE_EMAIL === undefined ? 'DIFY_CONSOLE_EMAIL' : 'DIFY_CONSOLE_PASSWORD'],
        message: 'console login needs both DIFY_CONSOLE_EMAIL and DIFY_CONSOLE_PASSWORD',
      });
    }
    if (env.DIFY_COLLECT_LEVEL === 'nodes' && !(hasPassword || env.DIFY_CONSOLE_TOKEN)) {
      ctx.addIssue({ code: 'custom', path: ['DIFY_COLLECT_LEVEL'], message: 'level nodes needs console credentials (DIFY_CONSOLE_EMAIL/PASSWORD or DIFY_CONSOLE_TOKEN)' });
    }
    if ((hasPassword || env.DIFY_CONSOLE_TOKEN) && env.DIFY_APP_ID === undefined) {
      ctx.addIssue({ code: 'custom', path: ['DIFY_APP_ID'], message: 'is required with console credentials: the app UUID from the Dify console URL' });
    }
  });

export type Env = z.output<typeof envSchema>;
export type CollectLevel = z.infer<typeof collectLevelSchema>;
export type ReportFormat = z.infer<typeof reportFormatSchema>;
export type Locale = z.infer<typeof localeSchema>;
export type ConsoleAuthMode = (typeof CONSOLE_AUTH_MODES)[number];

/** Names whose values are secrets: never logged, never in workflow inputs, redacted from errors. */
export const SECRET_ENV_NAMES = ['DIFY_API_TOKEN', 'DIFY_CONSOLE_PASSWORD', 'DIFY_CONSOLE_TOKEN', 'SMTP_PASSWORD', 'DINGTALK_SECRET', 'DIFYSCOPE_ENCRYPTION_KEY'] as const;
