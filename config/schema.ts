import { z } from 'zod';
import { ALERT_METRICS, collectLevelSchema, localeSchema, NOTIFY_CHANNELS, notifyChannelSchema, REPORT_FORMATS, reportFormatSchema, timezoneSchema, type NotifyChannel, type ReportFormat } from '../common/report-options';

/**
 * Every setting Difyscope reads: environment variables (or `.env`) and, for several apps, a
 * JSON file named by DIFYSCOPE_CONFIG. These schemas are the single source for validation,
 * for the types the code uses, and for the README's configuration table.
 */

const emptyAsUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const optionalString = () => z.preprocess(emptyAsUndefined, z.string().trim().optional());
const positiveInt = (fallback: number, max: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(max).default(fallback));
const flag = (fallback: boolean) =>
  z
    .preprocess(emptyAsUndefined, z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'use true or false' }).optional())
    .transform((value) => (value === undefined ? fallback : ['true', '1', 'yes'].includes(value)));

/** Cross-field checks run even when a single field failed, so one pass reports every problem. */
const everyField = (payload: { value: unknown }): boolean => typeof payload.value === 'object' && payload.value !== null;

export const CONSOLE_AUTH_MODES = ['auto', 'legacy', 'tokenpair', 'cookie', 'cookie-base64'] as const;
export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

export const consoleAuthSchema = z.enum(CONSOLE_AUTH_MODES);
export const weekdaySchema = z.preprocess((value) => (typeof value === 'string' ? value.trim().toLowerCase() : value), z.enum(WEEKDAYS, { error: 'use a weekday name such as monday' }));

export const timeOfDaySchema = z
  .string()
  .trim()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use a 24-hour local time HH:MM such as 08:00');

export const appKeySchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, 'use letters, digits, - and _ only (it names folders and workflow ids)');

export const baseUrlSchema = z
  .string({ error: 'is required: the address of your Dify server, e.g. https://dify.example.com' })
  .trim()
  .refine((value) => /^https?:\/\/[^\s/]+/i.test(value) && URL.canParse(value), { message: 'must be an http(s) URL such as https://dify.example.com' })
  .refine((value) => !/\/v1\/?$/.test(value), { message: 'must not end with /v1; give the server address only' })
  .transform((value) => value.replace(/\/+$/, ''));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const consoleAppIdSchema = z.string().trim().regex(UUID, 'must be the app UUID from the Dify console URL (/app/<uuid>/…)');

const formatListSchema = z.string().transform((value, ctx) => {
  const formats = value.split(',').map((item) => item.trim()).filter(Boolean);
  const unknown = formats.filter((item) => !(REPORT_FORMATS as readonly string[]).includes(item));
  if (unknown.length > 0 || formats.length === 0) {
    ctx.addIssue({ code: 'custom', message: `unknown format ${unknown.join(',') || '(none)'}; use a comma list of ${REPORT_FORMATS.join(',')}` });
    return z.NEVER;
  }
  return [...new Set(formats)] as ReportFormat[];
});

const fieldListSchema = z.string().transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean));

/** Durations like `7d`, `12h`, `30m`: the catch-up window of schedules. */
export const durationSchema = z
  .string()
  .trim()
  .regex(/^\d+(s|m|h|d)$/, 'use a duration such as 7d, 12h or 30m');

/** Milliseconds of a duration that passed `durationSchema`. */
export function durationMs(duration: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(duration);
  const units: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  if (!match) throw new Error(`not a duration: ${duration}`);
  return Number(match[1]) * (units[match[2] as string] ?? 0);
}

/** Settings shared by every app: Temporal, output, logging. */
export const globalEnvSchema = z.object({
  DIFYSCOPE_CONFIG: optionalString().describe('Path of a JSON file listing several apps (see "Several apps"); unset: one app from the DIFY_* variables'),
  OUTPUT_DIR: z.preprocess(emptyAsUndefined, z.string().default('./outputs')).describe('Where reports and raw records are written'),
  OUTPUT_URL: z
    .preprocess(emptyAsUndefined, z.string().trim().regex(/^(file:\/\/\/|s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/|$))/, 'use file:///absolute/path or s3://bucket/prefix').optional())
    .describe('Storage shared by every worker: `s3://bucket/prefix` (S3-compatible) or `file:///shared/folder`; unset: OUTPUT_DIR itself. With it set, OUTPUT_DIR is this worker\'s local scratch folder'),
  S3_ENDPOINT: z.preprocess(emptyAsUndefined, z.string().trim().url('must be a URL such as https://oss-cn-hangzhou.aliyuncs.com').optional()).describe('Endpoint of an S3-compatible store (MinIO, SeaweedFS, OSS, COS, R2); unset: AWS S3'),
  S3_REGION: z.preprocess(emptyAsUndefined, z.string().trim().default('us-east-1')).describe('Region of the bucket'),
  S3_ACCESS_KEY_ID: optionalString().describe('Access key id; unset: the AWS SDK\'s default chain (AWS_* variables, instance role)'),
  S3_SECRET_ACCESS_KEY: optionalString().describe('Secret access key'),
  S3_FORCE_PATH_STYLE: flag(false).describe('`true` addresses the bucket in the path (MinIO, SeaweedFS and most self-hosted stores)'),
  REPORT_LINK_EXPIRY: z.preprocess(emptyAsUndefined, durationSchema.optional()).describe('With S3 storage: notifications carry links to report.html and the CSV files valid this long (e.g. `7d`); unset: no links'),
  TEMPORAL_ADDRESS: optionalString().describe('Temporal frontend `host:port`; unset: from the Temporal profile, else `demo`/`dev` start an embedded dev server and others use localhost:7233'),
  TEMPORAL_NAMESPACE: optionalString().describe('Temporal namespace; unset: from the Temporal profile, else `default`'),
  TEMPORAL_PROFILE: optionalString().describe('Profile of the Temporal config file (the `temporal` CLI\'s TOML) to connect with; unset: `default`'),
  TEMPORAL_CONFIG_FILE: optionalString().describe('Temporal config file (TOML profiles); unset: `temporal/temporal.toml` in the user config folder'),
  TEMPORAL_API_KEY: optionalString().describe('API key (Temporal Cloud); turns TLS on'),
  TEMPORAL_TLS: z.preprocess(emptyAsUndefined, z.enum(['true', 'false', '1', '0'], { error: 'use true or false' }).optional()).describe('`true` connects with TLS (implied by an API key or any TEMPORAL_TLS_* file), `false` forces plain text'),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: optionalString().describe('PEM file of the CA that signed the server certificate (unset: the system CAs)'),
  TEMPORAL_TLS_SERVER_NAME: optionalString().describe('Name the server certificate must carry, when it differs from the address host'),
  TEMPORAL_TLS_CLIENT_CERT_PATH: optionalString().describe('PEM client certificate for mTLS'),
  TEMPORAL_TLS_CLIENT_KEY_PATH: optionalString().describe('PEM private key of the client certificate'),
  TEMPORAL_TASK_QUEUE: z.preprocess(emptyAsUndefined, z.string().default('difyscope')).describe('Task queue of the Difyscope worker'),
  METRICS_ADDRESS: z
    .preprocess(emptyAsUndefined, z.string().trim().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/, 'use host:port such as 0.0.0.0:9464').optional())
    .describe('`host:port` where the worker serves Prometheus metrics at `/metrics` (Difyscope\'s and the Temporal SDK\'s); unset: off'),
  LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(['debug', 'info', 'warn', 'error']).default('info')).describe('Worker log level'),
  LOG_FORMAT: z.preprocess(emptyAsUndefined, z.enum(['auto', 'json', 'pretty']).default('auto')).describe('`json` lines, `pretty` lines, or `auto`: pretty on a terminal, JSON otherwise (journald, Docker)'),
  ACTIVITY_HEARTBEAT_TIMEOUT: z
    .preprocess(emptyAsUndefined, durationSchema.default('2m'))
    .describe('How long a report step may go without a sign of life before Temporal retries it elsewhere (a worker that died is noticed this late)'),
  SCHEDULE_CATCHUP_WINDOW: z.preprocess(emptyAsUndefined, durationSchema.default('7d')).describe('How far back missed scheduled runs are caught up after downtime'),
  OUTPUT_FILE_MODE: z
    .preprocess(emptyAsUndefined, z.string().regex(/^0?[0-7]{3}$/, 'use an octal mode such as 700 or 750').default('700'))
    .describe('Permissions of report folders (files get the same without execute bits)'),
  DIFYSCOPE_ENCRYPTION_KEY: optionalString().describe('Encrypt Temporal payloads (AES-256-GCM): `keyid:base64key[,oldid:base64key…]`, 32-byte keys; the first encrypts, all decrypt'),
  CODEC_SERVER_PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(65535).default(8888)).describe('Port of `difyscope codec-server` (for the Temporal Web UI)'),
  CODEC_SERVER_CORS_ORIGINS: z.preprocess(emptyAsUndefined, z.string().default('http://localhost:8233,http://localhost:8080')).describe('Comma list of Web UI origins allowed to call the codec server'),
  CODEC_SERVER_TOKEN: optionalString().describe('Bearer token the codec server requires (optional)'),
  CODEC_SERVER_TLS_CERT_PATH: optionalString().describe('PEM certificate (chain) to serve the codec server over HTTPS, as Temporal Cloud\'s Web UI requires; with CODEC_SERVER_TLS_KEY_PATH'),
  CODEC_SERVER_TLS_KEY_PATH: optionalString().describe('PEM private key of CODEC_SERVER_TLS_CERT_PATH'),
});

/** Report options: per app in the JSON file, from these variables for a single app (and as the file's defaults). */
export const reportEnvSchema = z.object({
  REPORT_TIMEZONE: z.preprocess(emptyAsUndefined, timezoneSchema.default('UTC')).describe('IANA time zone of days and weeks in reports'),
  REPORT_LOCALE: z.preprocess(emptyAsUndefined, localeSchema.default('en')).describe("`en` or `zh-CN` (the predecessor's sheet names and headers)"),
  REPORT_FORMATS: z.preprocess(emptyAsUndefined, formatListSchema.default(['csv', 'md', 'json', 'html'])).describe('Comma list of report formats: `csv,md,json,html`'),
  REPORT_QUESTION_FIELDS: z.preprocess(emptyAsUndefined, fieldListSchema.default(['query', 'sys.query'])).describe('Run inputs holding the question, first present wins'),
  REPORT_ANSWER_FIELDS: z.preprocess(emptyAsUndefined, fieldListSchema.default(['text', 'answer', 'result'])).describe('Run outputs holding the answer, first present wins'),
  REPORT_ANSWER_MAX_LENGTH: positiveInt(5000, 1_000_000).describe('Answers longer than this are cut in the Q&A sheet'),
  DIFY_CONCURRENCY: positiveInt(8, 64).describe('Parallel detail/node requests to Dify per app'),
  DIFY_REQUEST_TIMEOUT_MS: positiveInt(30_000, 600_000).describe('Timeout of one Dify request (ms)'),
  DIFY_MAX_RETRIES: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(20).default(4)).describe('In-process retries of one Dify request on 429/5xx/timeouts'),
  DIFY_MAX_RPS: z.preprocess(emptyAsUndefined, z.coerce.number().positive().optional()).describe('Cap on requests per second to Dify per app (unset: no cap)'),
  REDACT_USER_IDS: flag(false).describe('Replace user ids in reports and notifications by a keyed hash (stable, so per-user counts still work)'),
  REDACT_TEXT: flag(false).describe('Mask e-mail addresses, phone numbers, ID card numbers and long digit runs in questions, answers and errors'),
  REPORT_QA_TEXT: z.preprocess(emptyAsUndefined, z.enum(['keep', 'drop'], { error: 'use keep or drop' }).default('keep')).describe('`drop` leaves question, answer and segment text out of every report'),
  DIFY_CONSOLE_AUTH: z
    .preprocess(emptyAsUndefined, consoleAuthSchema.default('auto'))
    .describe('Console login flavour: `auto` (from the server version), `legacy`, `tokenpair`, `cookie`, `cookie-base64`'),
  DAILY_REPORT_ENABLED: flag(true).describe('Schedule the daily report'),
  DAILY_REPORT_TIME: z.preprocess(emptyAsUndefined, timeOfDaySchema.default('08:00')).describe('Local time of the daily report (covers the previous local day)'),
  DAILY_REPORT_WEEKENDS: flag(true).describe('Run the daily report on Saturday and Sunday too (false: it runs Monday to Friday, and the Monday report covers Friday to Sunday)'),
  WEEKLY_REPORT_ENABLED: flag(true).describe('Schedule the weekly report'),
  WEEKLY_REPORT_DAY: z.preprocess(emptyAsUndefined, weekdaySchema.default('monday')).describe('Weekday of the weekly report (covers the previous ISO week)'),
  WEEKLY_REPORT_TIME: z.preprocess(emptyAsUndefined, timeOfDaySchema.default('09:00')).describe('Local time of the weekly report'),
});

const isEmailAddress = (address: string): boolean => /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(address.trim().replace(/^.*<(.+)>$/, '$1'));
const emailAddressSchema = z.string().trim().refine(isEmailAddress, { message: 'is not an e-mail address; use e.g. ops@example.com or Li Lei <li@example.com>' });

const emailListSchema = z.string().transform((value, ctx) => {
  const addresses = value.split(',').map((item) => item.trim()).filter(Boolean);
  const bad = addresses.filter((address) => !isEmailAddress(address));
  if (bad.length > 0) {
    ctx.addIssue({ code: 'custom', message: `"${bad.join(', ')}" is not an e-mail address; use a comma list such as ops@example.com, Li Lei <li@example.com>` });
    return z.NEVER;
  }
  return addresses;
});

const httpUrlSchema = z
  .string()
  .trim()
  .refine((value) => /^https?:\/\/[^\s/]+/i.test(value) && URL.canParse(value), { message: 'must be an http(s) URL' });


/** Alert rules such as `failure_rate > 0.05`, `p95_latency_s > 30`, `runs < 10`. */
export const alertRuleSchema = z
  .string()
  .trim()
  .regex(new RegExp(`^(${ALERT_METRICS.join('|')})\\s*(>=|<=|>|<|==)\\s*-?\\d+(\\.\\d+)?$`), `use "<metric> <op> <number>" with a metric of ${ALERT_METRICS.join(', ')} and an op of > >= < <= ==`);

/** Notification channels, shared by every app (each app chooses which of them it uses). */
export const notifyEnvSchema = z
  .object({
    NOTIFY_CHANNELS: z
      .preprocess(emptyAsUndefined, z.string().optional())
      .transform((value, ctx) => {
        if (value === undefined) return undefined;
        const channels = value.split(',').map((item) => item.trim()).filter(Boolean);
        const unknown = channels.filter((item) => !(NOTIFY_CHANNELS as readonly string[]).includes(item));
        if (unknown.length > 0) {
          ctx.addIssue({ code: 'custom', message: `unknown channel ${unknown.join(',')}; use a comma list of ${NOTIFY_CHANNELS.join(',')}` });
          return z.NEVER;
        }
        return [...new Set(channels)] as NotifyChannel[];
      })
      .describe('Channels to notify: comma list of `email,dingtalk,feishu,wecom,webhook`; unset: from NOTIFICATION_TYPE, else none'),
    NOTIFICATION_ENABLED: flag(true).describe('Predecessor switch: `false` turns every notification off'),
    NOTIFICATION_TYPE: z.preprocess(emptyAsUndefined, z.enum(['email', 'dingtalk'], { error: 'use email or dingtalk' }).optional()).describe('Predecessor name for a single channel, used when NOTIFY_CHANNELS is unset'),
    NOTIFY_ON: z
      .preprocess(emptyAsUndefined, z.string().default('daily,weekly'))
      .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))
      .pipe(z.array(z.enum(['daily', 'weekly', 'range'], { error: 'use a comma list of daily,weekly,range' })))
      .describe('Which reports notify on completion (`range` ones only with --notify); failures always notify'),
    ALERT_RULES: z
      .preprocess(emptyAsUndefined, z.string().default(''))
      .transform((value) => value.split(';').map((item) => item.trim()).filter(Boolean))
      .pipe(z.array(alertRuleSchema))
      .describe('Alert rules separated by `;`, e.g. `failure_rate > 0.05; p95_latency_s > 30; runs < 10`; chat apps also `satisfaction < 0.8`, `conversations < 10`'),
    SMTP_HOST: optionalString().describe('SMTP server for e-mail notifications'),
    SMTP_PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(65535).optional()).describe('SMTP port; default 465 with SMTP_SECURITY=tls, else 587'),
    SMTP_SECURITY: z.preprocess(emptyAsUndefined, z.enum(['starttls', 'tls', 'none'], { error: 'use starttls, tls or none' }).default('starttls')).describe('`starttls` (upgrade, required), `tls` (implicit TLS) or `none`'),
    SMTP_USER: optionalString().describe('SMTP user name (optional)'),
    SMTP_PASSWORD: optionalString().describe('SMTP password (optional)'),
    SMTP_FROM: optionalString().describe('Sender, e.g. `Difyscope <difyscope@example.com>`'),
    SMTP_TO: z.preprocess(emptyAsUndefined, emailListSchema.optional()).describe('Comma list of recipients'),
    SMTP_CC: z.preprocess(emptyAsUndefined, emailListSchema.optional()).describe('Comma list of copy recipients'),
    SMTP_TLS_REJECT_UNAUTHORIZED: flag(true).describe('`false` accepts a self-signed SMTP certificate'),
    EMAIL_ATTACH: z.preprocess(emptyAsUndefined, z.string().default('csv')).describe('Attachments: `csv` (the CSV sheets), `none`, or a comma list of file names'),
    EMAIL_ZIP_ABOVE_BYTES: positiveInt(5_000_000, 1_000_000_000).describe('Zip the attachments when together larger than this'),
    DINGTALK_WEBHOOK: z.preprocess(emptyAsUndefined, httpUrlSchema.optional()).describe('DingTalk robot webhook URL (with its access_token)'),
    DINGTALK_SECRET: optionalString().describe('DingTalk robot signing secret (`SEC…`), optional'),
    DINGTALK_AT_MOBILES: z.preprocess(emptyAsUndefined, z.string().default('')).transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean)).describe('Comma list of mobile numbers to @mention'),
    REDACTION_KEY: optionalString().describe('Key of the user-id hash (REDACT_USER_IDS); keep it stable so ids stay comparable across reports'),
    DINGTALK_AT_ALL: flag(false).describe('@all in DingTalk messages'),
    FEISHU_WEBHOOK: z.preprocess(emptyAsUndefined, httpUrlSchema.optional()).describe('Feishu/Lark custom bot webhook URL (`…/open-apis/bot/v2/hook/<token>`)'),
    FEISHU_SECRET: optionalString().describe("Feishu/Lark bot signing secret (the bot's \"signature verification\"), optional"),
    WECOM_WEBHOOK: z.preprocess(emptyAsUndefined, httpUrlSchema.optional()).describe('WeCom (企业微信) group robot webhook URL (with its key)'),
    WECOM_MENTION: z.preprocess(emptyAsUndefined, z.string().default('')).transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean)).describe('Comma list of WeCom user ids to @mention'),
    WEBHOOK_URL: z.preprocess(emptyAsUndefined, httpUrlSchema.optional()).describe('Generic JSON webhook receiving the summary'),
    WEBHOOK_SECRET: optionalString().describe('Key of the `X-Difyscope-Signature` HMAC-SHA256 header, optional'),
  })
  .superRefine((env, ctx) => {
    // Runs even when single fields failed (see `when`), so every problem is reported at once;
    // a field that failed may still hold its raw input here, hence the defensive reads.
    const channels: string[] = Array.isArray(env.NOTIFY_CHANNELS) ? env.NOTIFY_CHANNELS : typeof env.NOTIFICATION_TYPE === 'string' ? [env.NOTIFICATION_TYPE] : [];
    if (env.NOTIFICATION_ENABLED === false) return;
    if (channels.includes('email')) {
      if (!env.SMTP_HOST) ctx.addIssue({ code: 'custom', path: ['SMTP_HOST'], message: 'is required for e-mail notifications' });
      if (!env.SMTP_FROM) ctx.addIssue({ code: 'custom', path: ['SMTP_FROM'], message: 'is required for e-mail notifications' });
      if (env.SMTP_TO === undefined) ctx.addIssue({ code: 'custom', path: ['SMTP_TO'], message: 'is required for e-mail notifications: a comma list of recipients' });
      if (env.SMTP_USER && !env.SMTP_PASSWORD) ctx.addIssue({ code: 'custom', path: ['SMTP_PASSWORD'], message: 'is required with SMTP_USER' });
    }
    if (channels.includes('dingtalk') && !env.DINGTALK_WEBHOOK) ctx.addIssue({ code: 'custom', path: ['DINGTALK_WEBHOOK'], message: 'is required for DingTalk notifications' });
    if (channels.includes('feishu') && !env.FEISHU_WEBHOOK) ctx.addIssue({ code: 'custom', path: ['FEISHU_WEBHOOK'], message: 'is required for Feishu/Lark notifications' });
    if (channels.includes('wecom') && !env.WECOM_WEBHOOK) ctx.addIssue({ code: 'custom', path: ['WECOM_WEBHOOK'], message: 'is required for WeCom notifications' });
    if (channels.includes('webhook') && !env.WEBHOOK_URL) ctx.addIssue({ code: 'custom', path: ['WEBHOOK_URL'], message: 'is required for webhook notifications' });
  }, { when: everyField });

export type NotifyEnv = z.output<typeof notifyEnvSchema>;

/** The one app configured by environment variables (the predecessor's names). */
export const singleAppEnvSchema = z
  .object({
    DIFY_BASE_URL: z.preprocess(emptyAsUndefined, baseUrlSchema).describe('Dify server address, without `/v1` (required without DIFYSCOPE_CONFIG)'),
    DIFY_API_TOKEN: z
      .preprocess(emptyAsUndefined, z.string({ error: "is required: the app's service API key (app-…) from Dify → API Access" }).trim().min(8, 'looks too short for a Dify API key'))
      .describe('Service API key of the workflow app (`app-…`) (required without DIFYSCOPE_CONFIG)'),
    DIFY_APP_ID: z.preprocess(emptyAsUndefined, consoleAppIdSchema.optional()).describe('Console app id (UUID); needed for node executions'),
    DIFY_CONSOLE_EMAIL: optionalString().describe('Console account e-mail (for node executions)'),
    DIFY_CONSOLE_PASSWORD: optionalString().describe('Console account password'),
    DIFY_CONSOLE_TOKEN: optionalString().describe('Pre-issued console access token, instead of e-mail and password'),
    DIFY_COLLECT_LEVEL: z.preprocess(emptyAsUndefined, collectLevelSchema.optional()).describe('`logs`, `details` or `nodes`; default `nodes` with console credentials, else `details`'),
    APP_KEY: z.preprocess(emptyAsUndefined, appKeySchema.default('default')).describe('Short key of the app, used in folder names and workflow ids'),
    APP_NAME: optionalString().describe('Display name of the app in reports (default: the app key)'),
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
  }, { when: everyField });

const envVarName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the NAME of an environment variable (secrets stay out of the file)');

/** One app in the DIFYSCOPE_CONFIG file. Secrets are named by environment variable, never written in the file. */
export const fileAppSchema = z
  .object({
    key: appKeySchema,
    name: z.string().min(1).optional(),
    difyBaseUrl: baseUrlSchema,
    apiTokenEnv: envVarName,
    consoleAppId: consoleAppIdSchema.optional(),
    console: z
      .object({ emailEnv: envVarName.optional(), passwordEnv: envVarName.optional(), tokenEnv: envVarName.optional(), auth: consoleAuthSchema.optional() })
      .strict()
      .optional(),
    level: collectLevelSchema.optional(),
    timezone: timezoneSchema.optional(),
    locale: localeSchema.optional(),
    formats: z.array(reportFormatSchema).min(1).optional(),
    questionFields: z.array(z.string().min(1)).min(1).optional(),
    answerFields: z.array(z.string().min(1)).min(1).optional(),
    answerMaxLength: z.number().int().min(1).optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
    maxRps: z.number().positive().optional(),
    redaction: z.object({ userIds: z.boolean().optional(), text: z.boolean().optional(), qaText: z.enum(['keep', 'drop']).optional() }).strict().optional(),
    notify: z
      .object({
        channels: z.array(notifyChannelSchema).optional(),
        on: z.array(z.enum(['daily', 'weekly', 'range'])).optional(),
        alertRules: z.array(alertRuleSchema).optional(),
        // This app's own recipients; what is left out comes from the shared variables.
        email: z.object({ to: z.array(emailAddressSchema).min(1).optional(), cc: z.array(emailAddressSchema).optional() }).strict().optional(),
        dingtalk: z.object({ webhookEnv: envVarName.optional(), secretEnv: envVarName.optional(), atMobiles: z.array(z.string().min(1)).optional(), atAll: z.boolean().optional() }).strict().optional(),
        feishu: z.object({ webhookEnv: envVarName.optional(), secretEnv: envVarName.optional() }).strict().optional(),
        wecom: z.object({ webhookEnv: envVarName.optional(), mention: z.array(z.string().min(1)).optional() }).strict().optional(),
        webhook: z.object({ urlEnv: envVarName.optional(), secretEnv: envVarName.optional() }).strict().optional(),
      })
      .strict()
      .optional(),
    schedules: z
      .object({
        daily: z.object({ enabled: z.boolean().optional(), time: timeOfDaySchema.optional(), weekends: z.boolean().optional() }).strict().optional(),
        weekly: z.object({ enabled: z.boolean().optional(), weekday: weekdaySchema.optional(), time: timeOfDaySchema.optional() }).strict().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const configFileSchema = z
  .object({ apps: z.array(fileAppSchema).min(1, 'list at least one app') })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.apps.forEach((app, index) => {
      if (seen.has(app.key)) ctx.addIssue({ code: 'custom', path: ['apps', index, 'key'], message: `duplicate app key "${app.key}"; every app needs its own key` });
      seen.add(app.key);
    });
  });

export type GlobalEnv = z.output<typeof globalEnvSchema>;
export type ReportEnv = z.output<typeof reportEnvSchema>;
export type FileApp = z.output<typeof fileAppSchema>;
export type ConsoleAuthMode = z.infer<typeof consoleAuthSchema>;
export type Weekday = (typeof WEEKDAYS)[number];

/** Names whose values are secrets: never logged, never in workflow inputs, redacted from errors. */
export const SECRET_ENV_NAMES = [
  'DIFY_API_TOKEN',
  'DIFY_CONSOLE_PASSWORD',
  'DIFY_CONSOLE_TOKEN',
  'SMTP_PASSWORD',
  'DINGTALK_WEBHOOK',
  'DINGTALK_SECRET',
  'FEISHU_WEBHOOK',
  'FEISHU_SECRET',
  'WECOM_WEBHOOK',
  'WEBHOOK_SECRET',
  'DIFYSCOPE_ENCRYPTION_KEY',
  'CODEC_SERVER_TOKEN',
  'REDACTION_KEY',
  'TEMPORAL_API_KEY',
  'S3_SECRET_ACCESS_KEY',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
] as const;
