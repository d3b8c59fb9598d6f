import type { z } from 'zod';
import { errorEnvelopeSchema } from '../../common/dify-schemas';

/**
 * One error type for everything that goes wrong talking to Dify. `kind` says what happened,
 * `retryable` whether trying again later can help, `setting` which configuration value the
 * operator most likely has to change. Messages are single lines meant for a person and never
 * contain secrets (the client redacts them before constructing the error).
 */
export type DifyErrorKind =
  | 'auth'
  | 'forbidden'
  | 'not-found'
  | 'bad-request'
  | 'rate-limited'
  | 'server'
  | 'timeout'
  | 'network'
  | 'schema'
  | 'locked-out'
  | 'config';

export interface DifyErrorDetails {
  retryable?: boolean;
  status?: number;
  retryAfterMs?: number;
  setting?: string;
}

const RETRYABLE_BY_DEFAULT: ReadonlySet<DifyErrorKind> = new Set(['rate-limited', 'server', 'timeout', 'network', 'schema']);

export class DifyError extends Error {
  readonly kind: DifyErrorKind;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly setting?: string;

  constructor(kind: DifyErrorKind, message: string, details: DifyErrorDetails = {}) {
    super(message.replace(/\s*\n\s*/g, ' ').trim());
    this.name = 'DifyError';
    this.kind = kind;
    this.retryable = details.retryable ?? RETRYABLE_BY_DEFAULT.has(kind);
    if (details.status !== undefined) this.status = details.status;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    if (details.setting !== undefined) this.setting = details.setting;
  }

  /** A copy with another message, e.g. after retries ran out; keeps every other field. */
  withMessage(message: string): DifyError {
    return new DifyError(this.kind, message, {
      retryable: this.retryable,
      status: this.status,
      retryAfterMs: this.retryAfterMs,
      setting: this.setting,
    });
  }
}

export function isDifyError(error: unknown): error is DifyError {
  return error instanceof DifyError;
}

/** What Dify said in its error envelope; both parts may be missing (proxies answer with HTML). */
export interface DifyErrorBody {
  code?: string;
  message?: string;
}

/** Reads `{code, message}` from an error body, tolerating reqparse's `{message: {arg: reason}}`. */
export function readErrorBody(text: string): DifyErrorBody {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {};
  }
  const parsed = errorEnvelopeSchema.loose().safeParse(json);
  if (!parsed.success) return {};
  const { code, message } = parsed.data;
  let flat: string | undefined;
  if (typeof message === 'string') flat = message;
  else if (message && typeof message === 'object') flat = Object.values(message).map(String).join('; ');
  else if (typeof (json as { data?: unknown }).data === 'string') flat = (json as { data: string }).data;
  return { code, message: flat?.slice(0, 300) };
}

/** Where a request went; decides which setting an error message points at. */
export type DifySurface = 'service' | 'console' | 'login' | 'refresh';

function quoted(body: DifyErrorBody, fallback: string): string {
  return body.message ? body.message.replace(/\.$/, '') : fallback;
}

/**
 * Turns a non-2xx answer into a DifyError. The HTTP status decides the kind; `code` only
 * refines the message, because newer Dify builds renamed codes (app_not_found,
 * app_api_disabled, csrf_token_invalid …) while keeping the statuses.
 */
export function errorFromResponse(surface: DifySurface, status: number, body: DifyErrorBody, what: string): DifyError {
  const said = quoted(body, `HTTP ${status}`);
  const code = body.code ?? '';
  if (status === 429) {
    if (code === 'email_code_login_limit' || (surface === 'login' && /password attempts/i.test(said))) {
      return new DifyError(
        'locked-out',
        `Dify has locked console password login for the account in DIFY_CONSOLE_EMAIL after too many wrong passwords (${said}); ` +
          'Dify keeps it locked for LOGIN_LOCKOUT_DURATION (default 24 hours) after the last failed attempt, or until a successful login or an administrator clears it; ' +
          'fix DIFY_CONSOLE_PASSWORD, then wait before trying again',
        { retryable: false, status, setting: 'DIFY_CONSOLE_PASSWORD' },
      );
    }
    return new DifyError('rate-limited', `Dify rate-limited ${what} (${said})`, { status });
  }
  if (status >= 500) return new DifyError('server', `Dify answered ${what} with HTTP ${status} (${said})`, { status });
  if (surface === 'login') return loginError(status, code, said);
  if (surface === 'refresh') {
    return new DifyError('auth', `Dify rejected the console refresh token (${said}); Difyscope will log in again`, { status, retryable: false });
  }
  if (surface === 'console') return consoleError(status, code, said, what);
  return serviceError(status, code, said, what);
}

function serviceError(status: number, code: string, said: string, what: string): DifyError {
  if (status === 401) {
    return new DifyError('auth', `Dify rejected the service API key (${said}); check DIFY_API_TOKEN`, {
      status,
      retryable: false,
      setting: 'DIFY_API_TOKEN',
    });
  }
  if (status === 403) {
    let advice = 'check that DIFY_API_TOKEN belongs to the app you want to monitor';
    if (code === 'app_api_disabled' || /API service has been disabled/i.test(said)) {
      advice = 'enable the app\'s API access in Dify (app → API Access), or check DIFY_API_TOKEN';
    } else if (code === 'app_abnormal_status' || /status is abnormal/i.test(said)) {
      advice = 'the app is not in normal status in Dify; restore it in the Dify console, or check DIFY_API_TOKEN';
    } else if (code === 'app_not_found' || /no longer exists/i.test(said)) {
      advice = 'the app behind DIFY_API_TOKEN was deleted; create a new API key for an existing app and set DIFY_API_TOKEN';
    } else if (code.startsWith('workspace_') || /workspace/i.test(said)) {
      advice = 'the workspace of the app is archived or missing in Dify; check DIFY_API_TOKEN';
    }
    return new DifyError('forbidden', `Dify refused the service API key (${said}); ${advice}`, { status, retryable: false, setting: 'DIFY_API_TOKEN' });
  }
  if (status === 400 && code.startsWith('not_') && code.endsWith('_app')) {
    return new DifyError(
      'bad-request',
      `the app behind DIFY_API_TOKEN is not a workflow app (Dify: ${said}); use the API key of a workflow app`,
      { status, retryable: false, setting: 'DIFY_API_TOKEN' },
    );
  }
  if (status === 404) {
    return new DifyError(
      'not-found',
      `Dify has no ${what} (${said}); check DIFY_BASE_URL (the server address without /v1) and DIFY_API_TOKEN`,
      { status, retryable: false, setting: 'DIFY_BASE_URL' },
    );
  }
  return new DifyError('bad-request', `Dify rejected ${what} with HTTP ${status} (${said})`, { status, retryable: false });
}

function consoleError(status: number, code: string, said: string, what: string): DifyError {
  if (status === 401) {
    return new DifyError('auth', `Dify rejected the console session for ${what} (${said}); check DIFY_CONSOLE_EMAIL and DIFY_CONSOLE_PASSWORD (or DIFY_CONSOLE_TOKEN)`, {
      status,
      retryable: false,
      setting: 'DIFY_CONSOLE_PASSWORD',
    });
  }
  if (status === 404) {
    return new DifyError('not-found', `Dify's console has no such app (${said}); check DIFY_APP_ID (the app UUID from the console URL /app/<uuid>/…)`, {
      status,
      retryable: false,
      setting: 'DIFY_APP_ID',
    });
  }
  if (status === 403) {
    return new DifyError('forbidden', `the console account may not read ${what} (${said}); give the account in DIFY_CONSOLE_EMAIL access to the app's workspace`, {
      status,
      retryable: false,
      setting: 'DIFY_CONSOLE_EMAIL',
    });
  }
  const hint = code === 'account_not_initialized' ? '; finish setting up the console account in Dify' : '';
  return new DifyError('bad-request', `Dify's console rejected ${what} with HTTP ${status} (${said})${hint}`, { status, retryable: false });
}

function loginError(status: number, code: string, said: string): DifyError {
  if (code === 'not_setup') {
    return new DifyError('config', `Dify is not initialised yet (${said}); finish its installation first`, { status, retryable: false, setting: 'DIFY_BASE_URL' });
  }
  if (code === 'account_banned' || code === 'account_in_freeze') {
    return new DifyError('auth', `Dify refused the console account (${said}); use another account in DIFY_CONSOLE_EMAIL`, { status, retryable: false, setting: 'DIFY_CONSOLE_EMAIL' });
  }
  if (status === 400 && code === 'invalid_param') {
    return new DifyError('bad-request', `Dify rejected the console login request (${said}); check DIFY_CONSOLE_EMAIL and DIFY_CONSOLE_PASSWORD`, {
      status,
      retryable: false,
      setting: 'DIFY_CONSOLE_PASSWORD',
    });
  }
  if (status === 401 || status === 400) {
    return new DifyError(
      'auth',
      `Dify rejected the console login (${said}); check DIFY_CONSOLE_EMAIL and DIFY_CONSOLE_PASSWORD. ` +
        'Difyscope does not retry, because Dify locks the account after more than 5 failures. ' +
        'If the password is right, this Dify build may expect another login flavour: set DIFY_CONSOLE_AUTH',
      { status, retryable: false, setting: 'DIFY_CONSOLE_PASSWORD' },
    );
  }
  if (status === 403) {
    return new DifyError('forbidden', `Dify does not allow e-mail and password login (${said}); use DIFY_CONSOLE_TOKEN instead`, {
      status,
      retryable: false,
      setting: 'DIFY_CONSOLE_TOKEN',
    });
  }
  return new DifyError('bad-request', `Dify rejected the console login with HTTP ${status} (${said}); check DIFY_BASE_URL and DIFY_CONSOLE_AUTH`, {
    status,
    retryable: false,
    setting: 'DIFY_CONSOLE_AUTH',
  });
}

/** One line per zod issue, with the field path, short enough for a report. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/** An error's message, for a log line or a record's `problems`. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * What Dify could not give for one run or conversation after the client's retries is recorded
 * on it, so the report states its gaps. Two things stop the activity instead: a fault retrying
 * cannot fix (bad credentials, unknown app or address), and anything that is not a Dify error
 * at all (a full disk, a bug, a worker going down): recording that as a missing detail would
 * turn a retryable crash into a permanent hole in the report.
 */
export function rethrowIfFatal(error: unknown): void {
  if (!(error instanceof DifyError)) throw error;
  if (!error.retryable && error.kind !== 'not-found' && error.kind !== 'schema') throw error;
}
