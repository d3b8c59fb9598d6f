import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import {
  configFileSchema,
  durationMs,
  globalEnvSchema,
  notifyEnvSchema,
  reportEnvSchema,
  SECRET_ENV_NAMES,
  singleAppEnvSchema,
  type ConsoleAuthMode,
  type FileApp,
  type GlobalEnv,
  type NotifyEnv,
  type ReportEnv,
  type Weekday,
} from './schema';
import type { CollectLevel, Locale, NotifyChannel, ReportFormat } from '../common/report-options';
import { temporalConnectionFrom, TemporalSettingError, type TemporalConnection } from './temporal';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type ConsoleCredentials = { kind: 'password'; email: string; password: string } | { kind: 'token'; token: string };

export interface AppSchedules {
  daily: { enabled: boolean; time: string; weekends: boolean };
  weekly: { enabled: boolean; weekday: Weekday; time: string };
}

export interface AppNotify {
  channels: NotifyChannel[];
  /** Report kinds that notify on completion; failures always notify. */
  on: ('daily' | 'weekly' | 'range')[];
  alertRules: string[];
  /** Where this app's messages go: the shared channel settings with the app's own recipients over them. */
  targets: ChannelSettings;
}

/** How to reach each channel. Secrets live here, on the worker, and nowhere else. */
export interface ChannelSettings {
  email?: {
    host: string;
    port: number;
    security: 'starttls' | 'tls' | 'none';
    user?: string;
    password?: string;
    from: string;
    to: string[];
    cc: string[];
    rejectUnauthorized: boolean;
    attach: string;
    zipAboveBytes: number;
  };
  dingtalk?: { webhook: string; secret?: string; atMobiles: string[]; atAll: boolean };
  feishu?: { webhook: string; secret?: string };
  wecom?: { webhook: string; mention: string[] };
  webhook?: { url: string; secret?: string };
}

export interface AppConfig {
  key: string;
  name: string;
  dify: {
    baseUrl: string;
    apiToken: string;
    appId?: string;
    console?: ConsoleCredentials;
    consoleAuth: ConsoleAuthMode;
    concurrency: number;
    timeoutMs: number;
    maxRetries: number;
    maxRps?: number;
  };
  collectLevel: CollectLevel;
  report: {
    timezone: string;
    locale: Locale;
    formats: ReportFormat[];
    questionFields: string[];
    answerFields: string[];
    answerMaxLength: number;
  };
  schedules: AppSchedules;
  notify: AppNotify;
  redaction: { userIds: boolean; text: boolean; qaText: 'keep' | 'drop' };
}

/** The store shared by the workers (OUTPUT_URL and the S3_* settings). */
export interface StoreSettings {
  url: string;
  s3: { endpoint?: string; region: string; accessKeyId?: string; secretAccessKey?: string; forcePathStyle: boolean };
}

export interface Settings {
  /** `connection` carries TLS material and the API key: worker and client side only, never in a workflow input. */
  temporal: { address?: string; namespace: string; taskQueue: string; /** Heartbeat timeout of long activities, ms. */ heartbeatTimeoutMs: number; connection: TemporalConnection };
  outputDir: string;
  /** The store shared by the workers; unset: OUTPUT_DIR is the one place everything lives. */
  storage?: StoreSettings;
  /** Seconds links to report files stay valid in notifications; unset: no links. */
  reportLinkExpirySeconds?: number;
  /** `host:port` of the worker's Prometheus endpoint; unset: no endpoint. */
  metricsAddress?: string;
  logLevel: GlobalEnv['LOG_LEVEL'];
  logFormat: GlobalEnv['LOG_FORMAT'];
  catchupWindow: string;
  /** Octal permission bits of report folders. */
  outputFileMode: number;
  encryptionKey?: string;
  codecServer: { port: number; corsOrigins: string[]; token?: string; tls?: { certPath: string; keyPath: string } };
  /** Key of the user-id hash; set when any app redacts user ids. */
  redactionKey?: string;
  apps: AppConfig[];
  channels: ChannelSettings;
  /** Every configured secret value, for redaction. */
  secrets: string[];
}

/** The variables that configure each channel, for "not configured" messages. */
export const CHANNEL_VARIABLES: Record<NotifyChannel, string> = {
  email: 'SMTP_HOST, SMTP_FROM, SMTP_TO',
  dingtalk: 'DINGTALK_WEBHOOK',
  feishu: 'FEISHU_WEBHOOK',
  wecom: 'WECOM_WEBHOOK',
  webhook: 'WEBHOOK_URL',
};

/** E-mail needs recipients besides the server; the other channels are set by their URL. */
export function hasTarget(targets: ChannelSettings, channel: NotifyChannel): boolean {
  return channel === 'email' ? (targets.email?.to.length ?? 0) > 0 : targets[channel] !== undefined;
}

/** One line per problem: `FIELD: what is wrong`. */
export function formatIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length > 0 ? prefix + issue.path.join('.') : prefix.replace(/\.$/, '') || 'config';
      const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
      return `${field}: ${message}`;
    })
    .join('\n');
}

function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error, prefix));
  return parsed.data;
}

function schedulesFrom(report: ReportEnv, file?: FileApp['schedules']): AppSchedules {
  return {
    daily: {
      enabled: file?.daily?.enabled ?? report.DAILY_REPORT_ENABLED,
      time: file?.daily?.time ?? report.DAILY_REPORT_TIME,
      weekends: file?.daily?.weekends ?? report.DAILY_REPORT_WEEKENDS,
    },
    weekly: {
      enabled: file?.weekly?.enabled ?? report.WEEKLY_REPORT_ENABLED,
      weekday: file?.weekly?.weekday ?? report.WEEKLY_REPORT_DAY,
      time: file?.weekly?.time ?? report.WEEKLY_REPORT_TIME,
    },
  };
}

function notifyFrom(notify: NotifyEnv, file?: FileApp['notify'], targets: ChannelSettings = channelsFrom(notify)): AppNotify {
  const channels = notify.NOTIFICATION_ENABLED ? (notify.NOTIFY_CHANNELS ?? (notify.NOTIFICATION_TYPE ? [notify.NOTIFICATION_TYPE] : [])) : [];
  return {
    channels: notify.NOTIFICATION_ENABLED ? (file?.channels ?? channels) : [],
    on: file?.on ?? notify.NOTIFY_ON,
    alertRules: file?.alertRules ?? notify.ALERT_RULES,
    targets,
  };
}

/**
 * An app's own recipients over the shared channel settings. Chat robots and webhooks are
 * named by environment variable (their URLs carry tokens); e-mail keeps the shared SMTP
 * server and changes only the addresses.
 */
function appTargets(shared: ChannelSettings, file: FileApp['notify'], secretFrom: (name: string | undefined, field: string) => string | undefined, at: string): ChannelSettings {
  const targets: ChannelSettings = { ...shared };
  if (file?.email && shared.email) targets.email = { ...shared.email, to: file.email.to ?? shared.email.to, cc: file.email.cc ?? shared.email.cc };
  const dingtalk = file?.dingtalk;
  if (dingtalk) {
    const webhook = secretFrom(dingtalk.webhookEnv, `${at}.notify.dingtalk.webhookEnv`) ?? shared.dingtalk?.webhook;
    const secret = dingtalk.webhookEnv ? secretFrom(dingtalk.secretEnv, `${at}.notify.dingtalk.secretEnv`) : (secretFrom(dingtalk.secretEnv, `${at}.notify.dingtalk.secretEnv`) ?? shared.dingtalk?.secret);
    if (webhook) targets.dingtalk = { webhook, secret, atMobiles: dingtalk.atMobiles ?? shared.dingtalk?.atMobiles ?? [], atAll: dingtalk.atAll ?? shared.dingtalk?.atAll ?? false };
  }
  const feishu = file?.feishu;
  if (feishu) {
    const webhook = secretFrom(feishu.webhookEnv, `${at}.notify.feishu.webhookEnv`) ?? shared.feishu?.webhook;
    const secret = feishu.webhookEnv ? secretFrom(feishu.secretEnv, `${at}.notify.feishu.secretEnv`) : (secretFrom(feishu.secretEnv, `${at}.notify.feishu.secretEnv`) ?? shared.feishu?.secret);
    if (webhook) targets.feishu = { webhook, secret };
  }
  const wecom = file?.wecom;
  if (wecom) {
    const webhook = secretFrom(wecom.webhookEnv, `${at}.notify.wecom.webhookEnv`) ?? shared.wecom?.webhook;
    if (webhook) targets.wecom = { webhook, mention: wecom.mention ?? shared.wecom?.mention ?? [] };
  }
  const webhook = file?.webhook;
  if (webhook) {
    const url = secretFrom(webhook.urlEnv, `${at}.notify.webhook.urlEnv`) ?? shared.webhook?.url;
    const secret = webhook.urlEnv ? secretFrom(webhook.secretEnv, `${at}.notify.webhook.secretEnv`) : (secretFrom(webhook.secretEnv, `${at}.notify.webhook.secretEnv`) ?? shared.webhook?.secret);
    if (url) targets.webhook = { url, secret };
  }
  return targets;
}

function channelsFrom(notify: NotifyEnv): ChannelSettings {
  const channels: ChannelSettings = {};
  // Without SMTP_TO the server is still known: apps of DIFYSCOPE_CONFIG may name their own recipients.
  if (notify.SMTP_HOST && notify.SMTP_FROM) {
    channels.email = {
      host: notify.SMTP_HOST,
      port: notify.SMTP_PORT ?? (notify.SMTP_SECURITY === 'tls' ? 465 : 587),
      security: notify.SMTP_SECURITY,
      user: notify.SMTP_USER,
      password: notify.SMTP_PASSWORD,
      from: notify.SMTP_FROM,
      to: notify.SMTP_TO ?? [],
      cc: notify.SMTP_CC ?? [],
      rejectUnauthorized: notify.SMTP_TLS_REJECT_UNAUTHORIZED,
      attach: notify.EMAIL_ATTACH,
      zipAboveBytes: notify.EMAIL_ZIP_ABOVE_BYTES,
    };
  }
  if (notify.DINGTALK_WEBHOOK) {
    channels.dingtalk = { webhook: notify.DINGTALK_WEBHOOK, secret: notify.DINGTALK_SECRET, atMobiles: notify.DINGTALK_AT_MOBILES, atAll: notify.DINGTALK_AT_ALL };
  }
  if (notify.FEISHU_WEBHOOK) channels.feishu = { webhook: notify.FEISHU_WEBHOOK, secret: notify.FEISHU_SECRET };
  if (notify.WECOM_WEBHOOK) channels.wecom = { webhook: notify.WECOM_WEBHOOK, mention: notify.WECOM_MENTION };
  if (notify.WEBHOOK_URL) channels.webhook = { url: notify.WEBHOOK_URL, secret: notify.WEBHOOK_SECRET };
  return channels;
}

function singleApp(source: NodeJS.ProcessEnv, report: ReportEnv, notify: NotifyEnv): AppConfig {
  const env = parseOrThrow(singleAppEnvSchema, source);
  const console: ConsoleCredentials | undefined = env.DIFY_CONSOLE_TOKEN
    ? { kind: 'token', token: env.DIFY_CONSOLE_TOKEN }
    : env.DIFY_CONSOLE_EMAIL && env.DIFY_CONSOLE_PASSWORD
      ? { kind: 'password', email: env.DIFY_CONSOLE_EMAIL, password: env.DIFY_CONSOLE_PASSWORD }
      : undefined;
  return {
    key: env.APP_KEY,
    name: env.APP_NAME ?? env.APP_KEY,
    dify: {
      baseUrl: env.DIFY_BASE_URL,
      apiToken: env.DIFY_API_TOKEN,
      appId: env.DIFY_APP_ID,
      console,
      consoleAuth: report.DIFY_CONSOLE_AUTH,
      concurrency: report.DIFY_CONCURRENCY,
      timeoutMs: report.DIFY_REQUEST_TIMEOUT_MS,
      maxRetries: report.DIFY_MAX_RETRIES,
      maxRps: report.DIFY_MAX_RPS,
    },
    collectLevel: env.DIFY_COLLECT_LEVEL ?? (console ? 'nodes' : 'details'),
    report: {
      timezone: report.REPORT_TIMEZONE,
      locale: report.REPORT_LOCALE,
      formats: report.REPORT_FORMATS,
      questionFields: report.REPORT_QUESTION_FIELDS,
      answerFields: report.REPORT_ANSWER_FIELDS,
      answerMaxLength: report.REPORT_ANSWER_MAX_LENGTH,
    },
    schedules: schedulesFrom(report),
    notify: notifyFrom(notify),
    redaction: { userIds: report.REDACT_USER_IDS, text: report.REDACT_TEXT, qaText: report.REPORT_QA_TEXT },
  };
}

function fileApps(path: string, source: NodeJS.ProcessEnv, report: ReportEnv, notify: NotifyEnv): { apps: AppConfig[]; secrets: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`DIFYSCOPE_CONFIG: cannot read "${path}"; point it at the JSON file listing your apps`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`DIFYSCOPE_CONFIG: "${path}" is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const file = parseOrThrow(configFileSchema, json, `${path}: `);
  const shared = channelsFrom(notify);
  const problems: string[] = [];
  const secrets: string[] = [];
  const secretFrom = (name: string | undefined, field: string, required: boolean): string | undefined => {
    if (name === undefined) return undefined;
    const value = source[name]?.trim();
    if (!value) {
      if (required) problems.push(`${field}: environment variable ${name} is not set; export it or put it in .env`);
      return undefined;
    }
    secrets.push(value);
    return value;
  };
  const apps = file.apps.map((app, index): AppConfig => {
    const at = `apps[${index}] (${app.key})`;
    const apiToken = secretFrom(app.apiTokenEnv, `${at}.apiTokenEnv`, true) ?? '';
    const email = app.console?.emailEnv ? source[app.console.emailEnv]?.trim() : undefined;
    const password = secretFrom(app.console?.passwordEnv, `${at}.console.passwordEnv`, true);
    const token = secretFrom(app.console?.tokenEnv, `${at}.console.tokenEnv`, true);
    if (app.console?.emailEnv && !email) problems.push(`${at}.console.emailEnv: environment variable ${app.console.emailEnv} is not set`);
    const console: ConsoleCredentials | undefined = token ? { kind: 'token', token } : email && password ? { kind: 'password', email, password } : undefined;
    if (console && !app.consoleAppId) problems.push(`${at}.consoleAppId: is required with console credentials: the app UUID from the Dify console URL`);
    if (app.level === 'nodes' && !console) problems.push(`${at}.level: nodes needs console credentials (console.emailEnv/passwordEnv or console.tokenEnv)`);
    return {
      key: app.key,
      name: app.name ?? app.key,
      dify: {
        baseUrl: app.difyBaseUrl,
        apiToken,
        appId: app.consoleAppId,
        console,
        consoleAuth: app.console?.auth ?? report.DIFY_CONSOLE_AUTH,
        concurrency: app.concurrency ?? report.DIFY_CONCURRENCY,
        timeoutMs: report.DIFY_REQUEST_TIMEOUT_MS,
        maxRetries: report.DIFY_MAX_RETRIES,
        maxRps: app.maxRps ?? report.DIFY_MAX_RPS,
      },
      collectLevel: app.level ?? (console ? 'nodes' : 'details'),
      report: {
        timezone: app.timezone ?? report.REPORT_TIMEZONE,
        locale: app.locale ?? report.REPORT_LOCALE,
        formats: app.formats ?? report.REPORT_FORMATS,
        questionFields: app.questionFields ?? report.REPORT_QUESTION_FIELDS,
        answerFields: app.answerFields ?? report.REPORT_ANSWER_FIELDS,
        answerMaxLength: app.answerMaxLength ?? report.REPORT_ANSWER_MAX_LENGTH,
      },
      schedules: schedulesFrom(report, app.schedules),
      notify: notifyFrom(notify, app.notify, appTargets(shared, app.notify, (name, field) => secretFrom(name, field, true), at)),
      redaction: {
        userIds: app.redaction?.userIds ?? report.REDACT_USER_IDS,
        text: app.redaction?.text ?? report.REDACT_TEXT,
        qaText: app.redaction?.qaText ?? report.REPORT_QA_TEXT,
      },
    };
  });
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return { apps, secrets };
}

function storageFrom(global: GlobalEnv): StoreSettings | undefined {
  if (!global.OUTPUT_URL) return undefined;
  // The default spelled out: OUTPUT_DIR itself needs no copying.
  if (global.OUTPUT_URL.startsWith('file://') && path.resolve(decodeURIComponent(new URL(global.OUTPUT_URL).pathname)) === path.resolve(global.OUTPUT_DIR)) return undefined;
  return {
    url: global.OUTPUT_URL,
    s3: {
      endpoint: global.S3_ENDPOINT,
      region: global.S3_REGION,
      accessKeyId: global.S3_ACCESS_KEY_ID,
      secretAccessKey: global.S3_SECRET_ACCESS_KEY,
      forcePathStyle: global.S3_FORCE_PATH_STYLE,
    },
  };
}

function temporalConnectionOf(source: NodeJS.ProcessEnv): TemporalConnection {
  try {
    return temporalConnectionFrom(source);
  } catch (error) {
    if (error instanceof TemporalSettingError) throw new ConfigError(error.message);
    throw error;
  }
}

/**
 * Reads and validates every setting. Throws ConfigError listing one line per problem, each
 * naming the variable (or file field) and how to fix it.
 */
export function loadSettings(source: NodeJS.ProcessEnv = process.env): Settings {
  const global = parseOrThrow(globalEnvSchema, source);
  const report = parseOrThrow(reportEnvSchema, source);
  const notify = parseOrThrow(notifyEnvSchema, source);
  const configured = global.DIFYSCOPE_CONFIG
    ? fileApps(global.DIFYSCOPE_CONFIG, source, report, notify)
    : { apps: [singleApp(source, report, notify)], secrets: [] };
  const channels = channelsFrom(notify);
  if (configured.apps.some((app) => app.redaction.userIds) && !notify.REDACTION_KEY) {
    throw new ConfigError('REDACTION_KEY: is required when user ids are redacted; set a long random value and keep it stable');
  }
  for (const app of configured.apps) {
    for (const channel of app.notify.channels) {
      if (!hasTarget(app.notify.targets, channel)) throw new ConfigError(`app ${app.key}: notify channel "${channel}" is not configured; set its variables (${CHANNEL_VARIABLES[channel]})`);
    }
  }
  const connection = temporalConnectionOf(source);
  if ((global.CODEC_SERVER_TLS_CERT_PATH === undefined) !== (global.CODEC_SERVER_TLS_KEY_PATH === undefined)) {
    throw new ConfigError('CODEC_SERVER_TLS_CERT_PATH and CODEC_SERVER_TLS_KEY_PATH: set both (HTTPS) or neither (HTTP)');
  }
  if (global.REPORT_LINK_EXPIRY) {
    if (!global.OUTPUT_URL?.startsWith('s3://')) throw new ConfigError('REPORT_LINK_EXPIRY: links need S3 storage; set OUTPUT_URL=s3://bucket/prefix or unset REPORT_LINK_EXPIRY');
    if (durationMs(global.REPORT_LINK_EXPIRY) > 7 * 86_400_000) throw new ConfigError('REPORT_LINK_EXPIRY: S3 links last at most 7d; use 7d or less');
  }
  const secrets = [...SECRET_ENV_NAMES.map((name) => source[name]), connection.apiKey, ...configured.secrets].filter(
    (value): value is string => typeof value === 'string' && value.length >= 4,
  );
  return {
    temporal: {
      address: connection.address,
      namespace: connection.namespace,
      taskQueue: global.TEMPORAL_TASK_QUEUE,
      heartbeatTimeoutMs: durationMs(global.ACTIVITY_HEARTBEAT_TIMEOUT),
      connection,
    },
    outputDir: global.OUTPUT_DIR,
    metricsAddress: global.METRICS_ADDRESS,
    storage: storageFrom(global),
    reportLinkExpirySeconds: global.REPORT_LINK_EXPIRY ? durationMs(global.REPORT_LINK_EXPIRY) / 1000 : undefined,
    logLevel: global.LOG_LEVEL,
    logFormat: global.LOG_FORMAT,
    catchupWindow: global.SCHEDULE_CATCHUP_WINDOW,
    outputFileMode: parseInt(global.OUTPUT_FILE_MODE, 8),
    encryptionKey: global.DIFYSCOPE_ENCRYPTION_KEY,
    codecServer: {
      port: global.CODEC_SERVER_PORT,
      corsOrigins: global.CODEC_SERVER_CORS_ORIGINS.split(',').map((origin) => origin.trim()).filter(Boolean),
      token: global.CODEC_SERVER_TOKEN,
      ...(global.CODEC_SERVER_TLS_CERT_PATH !== undefined && global.CODEC_SERVER_TLS_KEY_PATH !== undefined
        ? { tls: { certPath: global.CODEC_SERVER_TLS_CERT_PATH, keyPath: global.CODEC_SERVER_TLS_KEY_PATH } }
        : {}),
    },
    redactionKey: notify.REDACTION_KEY,
    apps: configured.apps,
    channels,
    secrets: [...new Set(secrets)],
  };
}

export function findApp(settings: Settings, key: string | undefined): AppConfig {
  const app = key === undefined ? settings.apps[0] : settings.apps.find((candidate) => candidate.key === key);
  if (!app) {
    throw new ConfigError(`--app: no app "${key}" in the configuration; known apps: ${settings.apps.map((a) => a.key).join(', ')}`);
  }
  return app;
}

/** Replaces every configured secret value in `text` with `***`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) result = result.split(secret).join('***');
  return result;
}
