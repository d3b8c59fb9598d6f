import { CancelledFailure } from '@temporalio/common';
import { DateTime } from 'luxon';
import type { z } from 'zod';
import { redactSecrets, type ConsoleCredentials } from '../../config/load';
import type { ConsoleAuthMode } from '../../config/schema';
import { ConsoleSession, sharedConsoleSession } from './console-auth';
import { describeIssues, DifyError, errorFromResponse, isDifyError, readErrorBody, type DifySurface } from './errors';
import { headerValue, HttpTransport, type HttpRequest, type HttpResponse } from './http';
import { sharedGate, type RequestGate } from './rate-limiter';
import { parseRetryAfter } from './retry';
import {
  appInfoSchema,
  appParametersSchema,
  nodeExecutionListSchema,
  nodeExecutionSchema,
  runDetailSchema,
  serverInfoSchema,
  workflowLogPageSchema,
  workflowLogSchema,
  type AppInfo,
  type NodeExecution,
  type RunDetail,
  type WorkflowLog,
} from '../../common/dify-schemas';
import type { InvalidLog } from '../../common/collection-progress';

export interface DifyClientOptions {
  /** Server address without /v1. */
  baseUrl: string;
  apiToken: string;
  /** Console app UUID (needed for node executions). */
  appId?: string;
  console?: ConsoleCredentials;
  consoleAuth: ConsoleAuthMode;
  timeoutMs: number;
  /** In-process retries for 429/5xx/timeouts/resets. */
  maxRetries: number;
  retryBaseDelayMs?: number;
  /** Longest Retry-After honoured in-process; a longer one is thrown as a retryable error with retryAfterMs. */
  maxRetryAfterMs?: number;
  /** Redacted from every error message. */
  secrets?: string[];
  /** Requests in flight to this app at once, across every client of the app in this process (default 8). */
  concurrency?: number;
  /** Requests per second to this app, across every client of the app in this process; undefined: no cap. */
  maxRps?: number;
}

export interface LogsPageParams {
  page: number;
  limit?: number;
  /** Inclusive window start, ISO 8601 with offset. */
  from: string;
  /** Exclusive window end, ISO 8601 with offset. */
  to: string;
  /**
   * Narrower bounds inside the window, in whole epoch seconds, both inclusive: Dify is asked
   * for logs from `after`.000000 up to `before`.999999, so every log of both seconds is in,
   * whether Dify keeps whole seconds or microseconds.
   */
  seconds?: { after?: number; before?: number };
  /** Only runs of this status (the service API's `status` filter). */
  status?: 'succeeded' | 'failed' | 'stopped';
}

export interface LogsPage {
  page: number;
  limit: number;
  total: number;
  hasMore: boolean;
  items: WorkflowLog[];
  /** Items Dify returned that lie outside [from, to), dropped here (Dify's bounds are inclusive). */
  outsideWindow: number;
  invalid: InvalidLog[];
  /** The oldest `created_at` among the entries Dify returned, kept or not (null: none parsed). */
  oldest: number | null;
}

/** Dify's largest page size for workflow logs. */
export const MAX_LOG_PAGE_SIZE = 100;

/** A window bound as Dify's filters want it (UTC, whole seconds, `Z`), plus its epoch seconds. */
function windowBound(field: 'from' | 'to', value: string): { iso: string; seconds: number } {
  const at = DateTime.fromISO(value, { setZone: true });
  if (!at.isValid) throw new DifyError('config', `logsPage: ${field} "${value}" is not an ISO 8601 timestamp`, { retryable: false });
  const utc = at.toUTC().startOf('second');
  return { iso: utc.toFormat("yyyy-MM-dd'T'HH:mm:ss'Z'"), seconds: Math.floor(utc.toSeconds()) };
}

/** The first or the last instant of an epoch second as Dify's ISO filters take it. */
function secondBound(seconds: number, edge: 'start' | 'end'): string {
  const start = DateTime.fromSeconds(seconds, { zone: 'utc' }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
  return edge === 'start' ? `${start}Z` : `${start}.999999Z`;
}

export class DifyClient {
  private readonly http: HttpTransport;
  private readonly secrets: string[];
  private readonly consoleSession: ConsoleSession | undefined;
  private versionPromise: Promise<string | null> | undefined;
  /** The app's shared limits (see rate-limiter.ts). */
  readonly gate: RequestGate;

  constructor(private readonly options: DifyClientOptions) {
    this.secrets = [...(options.secrets ?? [])];
    this.addSecret(options.apiToken);
    this.gate = sharedGate(options.baseUrl, options.apiToken, { concurrency: options.concurrency ?? 8, maxRps: options.maxRps });
    this.http = new HttpTransport({
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      maxRetries: options.maxRetries,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 500,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
      redact: (text) => this.redact(text),
      gate: this.gate,
    });
    const credentials = options.console;
    if (credentials) {
      this.consoleSession = sharedConsoleSession({ baseUrl: options.baseUrl, appId: options.appId, credentials, mode: options.consoleAuth }, () => {
        // The session outlives this client (activities close theirs when they end), so it
        // talks to Dify through a client of its own that lives as long as the worker.
        const host = new DifyClient({ ...options, console: undefined });
        return new ConsoleSession({
          http: host.http,
          credentials,
          mode: options.consoleAuth,
          serverVersion: () => host.serverVersion(),
          addSecret: (value) => host.addSecret(value),
        });
      });
    }
  }

  /**
   * The server's version, asked once per client and never by trial logins: the `X-Version`
   * header of any response already received (Dify 1.x sends it on every answer, errors
   * included), else `GET /v1/` — its `X-Version` header (on 1.14 the route is a 404 that still
   * carries it), or the `server_version` older releases put in its body. Null when neither
   * says (a proxy stripping headers in front of a release without the route).
   */
  serverVersion(): Promise<string | null> {
    const announced = this.http.announcedVersion;
    if (announced) return Promise.resolve(announced);
    if (!this.versionPromise) {
      this.versionPromise = this.call('service', { method: 'GET', path: '/v1/' }, 'the server version (GET /v1/)', (response) => {
        const header = headerValue(response.headers, 'x-version')?.trim();
        if (header) return header;
        if (response.status === 404) return null;
        this.rejectWebPage(response, 'the server version');
        const info = this.parse(serverInfoSchema, response, 'the server version');
        return info.server_version ?? null;
      }, { allow404: true });
      // A failed lookup must not stick: the next caller asks again.
      this.versionPromise.catch(() => {
        this.versionPromise = undefined;
      });
    }
    return this.versionPromise;
  }

  appInfo(): Promise<AppInfo> {
    return this.call('service', { method: 'GET', path: '/v1/info', headers: this.serviceHeaders() }, 'the app info (GET /v1/info)', (response) =>
      this.parse(appInfoSchema, response, 'the app info'),
    );
  }

  /**
   * Whether the app's users may attach files (its published upload feature, `GET
   * /v1/parameters`). Attached files are kept only in a run's stored inputs (`sys.files`),
   * never in node executions, so they decide whether run details can be skipped. True when
   * Dify does not say.
   */
  takesFiles(): Promise<boolean> {
    return this.call('service', { method: 'GET', path: '/v1/parameters', headers: this.serviceHeaders() }, 'the app parameters (GET /v1/parameters)', (response) => {
      const upload = this.parse(appParametersSchema, response, 'the app parameters').file_upload;
      if (!upload) return true;
      return upload.enabled === true || upload.image?.enabled === true;
    });
  }

  /**
   * One page of workflow logs for the half-open window [from, to). Dify's bounds are
   * inclusive and it keeps sub-second times, so a log at exactly `to` is returned here but
   * belongs to the next window: it is dropped and counted in `outsideWindow`.
   */
  logsPage(params: LogsPageParams): Promise<LogsPage> {
    const from = windowBound('from', params.from);
    const to = windowBound('to', params.to);
    const limit = params.limit ?? MAX_LOG_PAGE_SIZE;
    const after = params.seconds?.after !== undefined && params.seconds.after > from.seconds ? secondBound(params.seconds.after, 'start') : from.iso;
    const before = params.seconds?.before !== undefined && params.seconds.before < to.seconds ? secondBound(params.seconds.before, 'end') : to.iso;
    const request: HttpRequest = {
      method: 'GET',
      path: '/v1/workflows/logs',
      query: { page: params.page, limit, created_at__after: after, created_at__before: before, ...(params.status && { status: params.status }) },
      headers: this.serviceHeaders(),
    };
    return this.call('service', request, `workflow logs page ${params.page}`, (response) => {
      // A malformed envelope (truncated JSON from a proxy, a half-deployed Dify) is retried.
      const envelope = this.parse(workflowLogPageSchema, response, `workflow logs page ${params.page}`, true);
      const items: WorkflowLog[] = [];
      const invalid: InvalidLog[] = [];
      let outsideWindow = 0;
      let oldest: number | null = null;
      for (const raw of envelope.data) {
        const parsed = workflowLogSchema.safeParse(raw);
        if (!parsed.success) {
          const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
          invalid.push({ logId: typeof id === 'string' ? id : null, reason: this.redact(describeIssues(parsed.error)) });
          continue;
        }
        oldest = oldest === null ? parsed.data.created_at : Math.min(oldest, parsed.data.created_at);
        // Also drop anything before `from`, in case a Dify build ignores the filter.
        if (parsed.data.created_at >= to.seconds || parsed.data.created_at < from.seconds) outsideWindow += 1;
        else items.push(parsed.data);
      }
      return { page: envelope.page, limit: envelope.limit, total: envelope.total, hasMore: envelope.has_more, items, outsideWindow, invalid, oldest };
    });
  }

  /** The service API's run detail; null when Dify does not know the run (200 with all fields null, or 404). */
  runDetail(runId: string): Promise<RunDetail | null> {
    const request: HttpRequest = { method: 'GET', path: `/v1/workflows/run/${encodeURIComponent(runId)}`, headers: this.serviceHeaders() };
    return this.call('service', request, `run ${runId}`, (response) => {
      if (response.status === 404) {
        const body = readErrorBody(response.text);
        if (/run/i.test(body.message ?? '') || body.code === 'workflow_run_not_found') return null;
        throw errorFromResponse('service', 404, body, `run ${runId}`);
      }
      const json = this.json(response, `run ${runId}`);
      if (typeof json === 'object' && json !== null && (json as { id?: unknown }).id === null) return null;
      const parsed = runDetailSchema.safeParse(json);
      if (!parsed.success) throw this.schemaError(`run ${runId}`, describeIssues(parsed.error), false);
      return parsed.data;
    }, { allow404: true });
  }

  /** Node executions of a run from the console API, in execution order (index ascending). */
  async nodeExecutions(runId: string): Promise<NodeExecution[]> {
    try {
      return await this.consoleNodeExecutions(runId);
    } catch (error) {
      // Login and refresh errors quote Dify's answer; redact those too.
      if (isDifyError(error)) throw error.withMessage(this.redact(error.message));
      throw error;
    }
  }

  private async consoleNodeExecutions(runId: string): Promise<NodeExecution[]> {
    const session = this.consoleSession;
    if (!session) {
      throw new DifyError('config', 'node executions need console credentials: set DIFY_CONSOLE_EMAIL and DIFY_CONSOLE_PASSWORD, or DIFY_CONSOLE_TOKEN', {
        retryable: false,
        setting: 'DIFY_CONSOLE_EMAIL',
      });
    }
    const appId = this.options.appId;
    if (!appId) throw new DifyError('config', 'node executions need the console app id: set DIFY_APP_ID', { retryable: false, setting: 'DIFY_APP_ID' });
    const what = `node executions of run ${runId}`;
    const path = `/console/api/apps/${encodeURIComponent(appId)}/workflow-runs/${encodeURIComponent(runId)}/node-executions`;
    const interpret = (response: HttpResponse): NodeExecution[] => {
      const list = this.parse(nodeExecutionListSchema, response, what);
      const nodes = list.data.map((raw, position) => {
        const parsed = nodeExecutionSchema.safeParse(raw);
        if (!parsed.success) throw this.schemaError(`${what} (item ${position})`, describeIssues(parsed.error), false);
        return parsed.data;
      });
      return nodes.sort((a, b) => a.index - b.index);
    };
    const attempt = async (): Promise<{ nodes: NodeExecution[] } | { unauthorized: DifyError; generation: number }> => {
      const { headers, generation } = await session.authHeaders();
      try {
        return { nodes: await this.call('console', { method: 'GET', path, headers }, what, interpret) };
      } catch (error) {
        if (isDifyError(error) && error.kind === 'auth' && error.status === 401) return { unauthorized: error, generation };
        throw error;
      }
    };
    const first = await attempt();
    if ('nodes' in first) return first.nodes;
    if (session.usesPreIssuedToken) throw this.tokenRejected(first.unauthorized);
    await session.renew(first.generation);
    const second = await attempt();
    if ('nodes' in second) return second.nodes;
    throw second.unauthorized.withMessage(`${second.unauthorized.message}; a fresh session was rejected too`);
  }

  /**
   * A console GET answered with JSON, with the same session handling as node executions: a 401
   * renews the session once. Callers validate the shape (see chat-api.ts).
   */
  async consoleJson(path: string, query: HttpRequest['query'], what: string): Promise<unknown> {
    const session = this.consoleSession;
    if (!session) {
      throw new DifyError('config', `${what} needs console credentials: set DIFY_CONSOLE_EMAIL and DIFY_CONSOLE_PASSWORD (or DIFY_CONSOLE_TOKEN) and DIFY_APP_ID`, {
        retryable: false,
        setting: 'DIFY_CONSOLE_EMAIL',
      });
    }
    const attempt = async (): Promise<{ json: unknown } | { unauthorized: DifyError; generation: number }> => {
      const { headers, generation } = await session.authHeaders();
      try {
        return { json: await this.call('console', { method: 'GET', path, query, headers }, what, (response) => this.json(response, what)) };
      } catch (error) {
        if (isDifyError(error) && error.kind === 'auth' && error.status === 401) return { unauthorized: error, generation };
        throw error;
      }
    };
    try {
      const first = await attempt();
      if ('json' in first) return first.json;
      if (session.usesPreIssuedToken) throw this.tokenRejected(first.unauthorized);
      await session.renew(first.generation);
      const second = await attempt();
      if ('json' in second) return second.json;
      throw second.unauthorized.withMessage(`${second.unauthorized.message}; a fresh session was rejected too`);
    } catch (error) {
      if (isDifyError(error)) throw error.withMessage(this.redact(error.message));
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private serviceHeaders(): Record<string, string> {
    return { authorization: `Bearer ${this.options.apiToken}` };
  }

  private addSecret(value: string): void {
    if (value.length >= 4 && !this.secrets.includes(value)) {
      this.secrets.push(value);
      // Longest first, so a secret that contains another is replaced whole.
      this.secrets.sort((a, b) => b.length - a.length);
    }
  }

  private redact(text: string): string {
    const issued = this.consoleSession?.secrets ?? [];
    if (issued.length === 0) return redactSecrets(text, this.secrets);
    // Longest first, so a secret that contains another is replaced whole.
    return redactSecrets(text, [...new Set([...this.secrets, ...issued])].filter((value) => value.length >= 4).sort((a, b) => b.length - a.length));
  }

  private tokenRejected(error: DifyError): DifyError {
    const csrf = /csrf/i.test(error.message);
    const advice = csrf
      ? 'this Dify requires the cookie login with a CSRF token, which a bare token cannot provide; set DIFY_CONSOLE_EMAIL and DIFY_CONSOLE_PASSWORD instead of DIFY_CONSOLE_TOKEN'
      : 'the token is wrong or expired; issue a new one and set DIFY_CONSOLE_TOKEN, or use DIFY_CONSOLE_EMAIL and DIFY_CONSOLE_PASSWORD';
    return new DifyError('auth', `Dify rejected DIFY_CONSOLE_TOKEN (HTTP 401); ${advice}`, { status: 401, retryable: false, setting: 'DIFY_CONSOLE_TOKEN' });
  }

  /**
   * One logical request: retried in-process on retryable failures (including
   * `interpret` throwing a retryable error), with every message redacted.
   */
  private async call<T>(
    surface: DifySurface,
    request: HttpRequest,
    what: string,
    interpret: (response: HttpResponse) => T,
    options: { allow404?: boolean } = {},
  ): Promise<T> {
    try {
      return await this.http.withRetries(async () => {
        const response = await this.http.send(request, what);
        const ok = (response.status >= 200 && response.status < 300) || (options.allow404 === true && response.status === 404);
        if (!ok) throw this.statusError(surface, response, what);
        return interpret(response);
      });
    } catch (error) {
      if (isDifyError(error)) throw error.withMessage(this.redact(error.message));
      if (error instanceof CancelledFailure) throw error;
      throw new DifyError('network', this.redact(`unexpected failure during ${what}: ${error instanceof Error ? error.message : String(error)}`));
    }
  }

  private statusError(surface: DifySurface, response: HttpResponse, what: string): DifyError {
    // A web console (or any site) answers API routes with its own HTML 404 page.
    if (response.status === 404) this.rejectWebPage(response, what);
    const error = errorFromResponse(surface, response.status, readErrorBody(response.text), what);
    const retryAfterMs = parseRetryAfter(headerValue(response.headers, 'retry-after'));
    if (retryAfterMs === undefined || !error.retryable) return error;
    return new DifyError(error.kind, error.message, { status: error.status, retryable: true, retryAfterMs, setting: error.setting });
  }

  /** An HTML page where JSON was expected: DIFY_BASE_URL points at the web console, not the API. */
  private rejectWebPage(response: HttpResponse, what: string): void {
    const type = headerValue(response.headers, 'content-type') ?? '';
    if (/text\/html/i.test(type) || /^\s*<(!doctype|html)/i.test(response.text)) {
      throw new DifyError(
        'config',
        `DIFY_BASE_URL answered ${what} with a web page, not Dify's API: point DIFY_BASE_URL at the API server (the address the console's /console/api and /v1 calls go to, e.g. https://dify.example.com or http://api:5001), without /v1`,
        { retryable: false, setting: 'DIFY_BASE_URL' },
      );
    }
  }

  private json(response: HttpResponse, what: string): unknown {
    this.rejectWebPage(response, what);
    try {
      return JSON.parse(response.text);
    } catch {
      throw this.schemaError(what, `not JSON (starts with ${JSON.stringify(response.text.slice(0, 40))})`, true);
    }
  }

  private parse<S extends z.ZodType>(schema: S, response: HttpResponse, what: string, retryable = false): z.output<S> {
    const parsed = schema.safeParse(this.json(response, what));
    if (!parsed.success) throw this.schemaError(what, describeIssues(parsed.error), retryable);
    return parsed.data;
  }

  private schemaError(what: string, detail: string, retryable: boolean): DifyError {
    return new DifyError('schema', `Dify's answer for ${what} has an unexpected shape (${this.redact(detail)}); is DIFY_BASE_URL a Dify server of a supported version?`, {
      retryable,
      setting: 'DIFY_BASE_URL',
    });
  }
}
