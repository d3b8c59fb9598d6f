import type { z } from 'zod';
import { envSchema, SECRET_ENV_NAMES, type CollectLevel, type ConsoleAuthMode, type Env, type Locale, type ReportFormat } from './schema';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type ConsoleCredentials = { kind: 'password'; email: string; password: string } | { kind: 'token'; token: string };

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
  };
  collectLevel: CollectLevel;
  report: {
    timezone: string;
    locale: Locale;
    formats: ReportFormat[];
    questionField: string;
    answerField: string;
    answerMaxLength: number;
  };
}

export interface Settings {
  temporal: { address?: string; namespace: string; taskQueue: string };
  outputDir: string;
  logLevel: Env['LOG_LEVEL'];
  apps: AppConfig[];
  secrets: string[];
}

/** One line per problem: `FIELD: what is wrong`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : 'config';
      const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
      return `${field}: ${message}`;
    })
    .join('\n');
}

export function loadSettings(source: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error));
  const env = parsed.data;
  const console: ConsoleCredentials | undefined = env.DIFY_CONSOLE_TOKEN
    ? { kind: 'token', token: env.DIFY_CONSOLE_TOKEN }
    : env.DIFY_CONSOLE_EMAIL && env.DIFY_CONSOLE_PASSWORD
      ? { kind: 'password', email: env.DIFY_CONSOLE_EMAIL, password: env.DIFY_CONSOLE_PASSWORD }
      : undefined;
  const app: AppConfig = {
    key: env.APP_KEY,
    name: env.APP_NAME ?? env.APP_KEY,
    dify: {
      baseUrl: env.DIFY_BASE_URL,
      apiToken: env.DIFY_API_TOKEN,
      appId: env.DIFY_APP_ID,
      console,
      consoleAuth: env.DIFY_CONSOLE_AUTH,
      concurrency: env.DIFY_CONCURRENCY,
      timeoutMs: env.DIFY_REQUEST_TIMEOUT_MS,
      maxRetries: env.DIFY_MAX_RETRIES,
    },
    collectLevel: env.DIFY_COLLECT_LEVEL ?? (console ? 'nodes' : 'details'),
    report: {
      timezone: env.REPORT_TIMEZONE,
      locale: env.REPORT_LOCALE,
      formats: env.REPORT_FORMATS,
      questionField: env.REPORT_QUESTION_FIELD,
      answerField: env.REPORT_ANSWER_FIELD,
      answerMaxLength: env.REPORT_ANSWER_MAX_LENGTH,
    },
  };
  const secrets = SECRET_ENV_NAMES.map((name) => source[name]).filter((value): value is string => typeof value === 'string' && value.length >= 4);
  return {
    temporal: { address: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE, taskQueue: env.TEMPORAL_TASK_QUEUE },
    outputDir: env.OUTPUT_DIR,
    logLevel: env.LOG_LEVEL,
    apps: [app],
    secrets,
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
  for (const secret of secrets) result = result.split(secret).join('***');
  return result;
}
