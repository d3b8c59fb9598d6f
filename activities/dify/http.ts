import { Agent } from 'undici';
import { activitySignal } from '../liveness';
import { countDifyRequest } from '../metrics';
import { DifyError, isDifyError } from './errors';
import type { RequestGate } from './rate-limiter';
import { backoffDelay, sleep } from './retry';

/**
 * The transport under the Dify client: one keep-alive connection pool per client, every
 * request through the app's gate (concurrency, rate cap, shared Retry-After pause), one
 * deadline per attempt, and the in-process retry loop.
 * It knows nothing about Dify's endpoints; callers interpret responses.
 */

export type HeaderValue = string | string[] | undefined;

export interface HttpResponse {
  status: number;
  headers: Record<string, HeaderValue>;
  text: string;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** Path below the base URL, starting with `/`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  json?: unknown;
}

export interface HttpOptions {
  baseUrl: string;
  timeoutMs: number;
  maxRetries: number;
  retryBaseDelayMs: number;
  maxRetryAfterMs: number;
  /** Removes secrets from any text that ends up in an error message. */
  redact: (text: string) => string;
  /** Limits shared with the app's other clients; without one, requests are not limited here. */
  gate?: RequestGate;
  /** Keep-alive connections of the pool; at least the gate's concurrency so no request queues for a socket. */
  connections?: number;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return errorCode((error as { cause?: unknown }).cause);
}

/**
 * The `X-Version` header of the first response that carried one (Dify 1.x sends it on every
 * answer), per base URL and shared by every transport of the process, so the worker-wide
 * console session learns it from any activity's requests.
 */
const announcedVersions = new Map<string, string>();

export class HttpTransport {
  private readonly agent: Agent;
  private readonly origin: string;
  private readonly basePath: string;

  constructor(private readonly options: HttpOptions) {
    const url = new URL(options.baseUrl);
    this.origin = url.origin;
    // Dify may live under a path prefix behind a reverse proxy (https://host/dify).
    this.basePath = url.pathname.replace(/\/+$/, '');
    const concurrency = options.gate?.options.concurrency ?? 0;
    this.agent = new Agent({ keepAliveTimeout: 10_000, connections: Math.max(options.connections ?? 8, concurrency) });
  }

  /** One attempt. Transport failures become retryable `timeout` / `network` DifyErrors. */
  async send(request: HttpRequest, what: string): Promise<HttpResponse> {
    try {
      const response = await (this.options.gate ? this.options.gate.run(() => this.sendNow(request, what)) : this.sendNow(request, what));
      countDifyRequest(request.path, response.status);
      return response;
    } catch (error) {
      countDifyRequest(request.path, error instanceof DifyError ? error.kind : 'cancelled');
      throw error;
    }
  }

  private async sendNow(request: HttpRequest, what: string): Promise<HttpResponse> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) search.append(key, String(value));
    }
    const query = search.toString();
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    let body: string | undefined;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers['content-type'] = 'application/json';
    }
    // Header and body timeouts only bound each wait; a server trickling its answer needs a
    // deadline for the whole attempt as well. A cancelled activity attempt aborts it at once.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.options.timeoutMs);
    const cancelled = activitySignal();
    cancelled?.throwIfAborted();
    try {
      const response = await this.agent.request({
        origin: this.origin,
        path: `${this.basePath}${request.path}${query ? `?${query}` : ''}`,
        method: request.method,
        headers,
        body,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        signal: cancelled ? AbortSignal.any([deadline.signal, cancelled]) : deadline.signal,
      });
      const text = await response.body.text();
      const announced = headerValue(response.headers, 'x-version')?.trim();
      if (announced && !announcedVersions.has(this.options.baseUrl)) announcedVersions.set(this.options.baseUrl, announced);
      return { status: response.statusCode, headers: response.headers, text };
    } catch (error) {
      // The activity's CancelledFailure, so the attempt ends as cancelled rather than failed.
      if (cancelled?.aborted) throw cancelled.reason;
      throw this.transportError(error, what, deadline.signal.aborted);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Dify's version as announced by the `X-Version` header of any response so far, if one did. */
  get announcedVersion(): string | undefined {
    return announcedVersions.get(this.options.baseUrl);
  }

  private transportError(error: unknown, what: string, deadlinePassed: boolean): DifyError {
    const code = errorCode(error);
    const detail = this.options.redact(error instanceof Error ? error.message : String(error));
    if (deadlinePassed || (code !== undefined && TIMEOUT_CODES.has(code))) {
      return new DifyError('timeout', `Dify did not answer ${what} within ${this.options.timeoutMs} ms (${detail}); raise DIFY_REQUEST_TIMEOUT_MS if Dify is just slow`, {
        setting: 'DIFY_REQUEST_TIMEOUT_MS',
      });
    }
    if (code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_URL') {
      return new DifyError('config', `cannot send ${what} (${detail}); check DIFY_BASE_URL`, { setting: 'DIFY_BASE_URL', retryable: false });
    }
    const known = code !== undefined && NETWORK_CODES.has(code);
    return new DifyError('network', `could not reach Dify for ${what} (${known ? `${code}: ` : ''}${detail}); check DIFY_BASE_URL and that Dify is up`, {
      setting: 'DIFY_BASE_URL',
    });
  }

  /**
   * Runs `attempt` until it succeeds, throws a non-retryable error, or retries run out.
   * A Retry-After longer than `maxRetryAfterMs` is not slept through here: the error goes
   * up at once with `retryAfterMs`, so the orchestrator can wait without holding a worker slot.
   */
  async withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let retry = 0; ; retry += 1) {
      try {
        return await attempt();
      } catch (error) {
        if (!isDifyError(error) || !error.retryable) throw error;
        if (error.retryAfterMs !== undefined && error.retryAfterMs > this.options.maxRetryAfterMs) throw error;
        if (retry >= this.options.maxRetries) {
          if (this.options.maxRetries === 0) throw error;
          throw error.withMessage(`${error.message}; gave up after ${retry + 1} attempts (DIFY_MAX_RETRIES=${this.options.maxRetries})`);
        }
        if (error.retryAfterMs !== undefined) {
          // Dify's limit is per key: hold the app's other requests too instead of letting them collect 429s.
          this.options.gate?.pauseFor(error.retryAfterMs);
          await sleep(error.retryAfterMs);
        } else {
          await sleep(backoffDelay(retry, this.options.retryBaseDelayMs));
        }
      }
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** Set-Cookie values of a response, always as a list. */
export function setCookies(headers: Record<string, HeaderValue>): string[] {
  const value = headers['set-cookie'];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function headerValue(headers: Record<string, HeaderValue>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
