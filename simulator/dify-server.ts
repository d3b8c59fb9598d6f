import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleConsole } from './console-api';
import { ConsoleAuthState, type CredentialForm } from './console-auth-state';
import { notFound, readBody, send, type Reply } from './http-kit';
import type { LogOrdering } from './log-query';
import { hashSeed, Rng } from './prng';
import { resolveProfile, type DifyProfile, type EraProfileName } from './profiles';
import { handleService } from './service-api';
import type { DifyStore } from './store';

export { PROFILES, type DifyProfile, type EraProfileName } from './profiles';

/**
 * A simulated Dify over plain node:http, serving a DifyStore the way a given era of Dify
 * does (shared contract). Used by the test suite and by the `demo` command. Faults are
 * count-based (every n-th request), so a test knows exactly which request fails.
 */

export interface DifyFaults {
  /** Time from a request's arrival to its answer (at least). */
  latencyMs?: number;
  /** Every n-th request gets 429 too_many_requests. */
  rateLimitEvery?: number;
  /** Retry-After seconds sent with the 429s. */
  retryAfterSeconds?: number;
  /** Every n-th request gets a 5xx. */
  serverErrorEvery?: number;
  serverErrorStatus?: 500 | 502 | 503;
  /** Every n-th request is never answered. */
  hangEvery?: number;
  /** Every n-th request has its connection reset. */
  resetEvery?: number;
  /** The next N log-page responses are malformed JSON. */
  malformedLogPages?: number;
  /** A console access token is invalid after N console data requests made with it. */
  expireConsoleSessionAfter?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: { authorization?: string; cookie?: string; 'x-csrf-token'?: string; 'content-type'?: string };
  /** Parsed JSON body; a login password is replaced with '***'. */
  body?: unknown;
  /** 0 when the request was never answered (hang, reset). */
  status: number;
  at: number;
  /** Login only: how the sent password related to the account's (the value itself is never kept). */
  credential?: CredentialForm;
}

export interface RunningDifyServer {
  url: string;
  requests: RecordedRequest[];
  profile: DifyProfile;
  setFaults(faults: DifyFaults): void;
  loginFailures(email: string): number;
  /**
   * Requests matching `match` are left unanswered until `release()` (or for good, if their
   * client dies meanwhile): a test pauses a client at an exact point this way, then kills it.
   */
  hold(match: (request: RecordedRequest) => boolean): void;
  /** Answers the held requests whose clients are still there and stops holding. */
  release(): void;
  close(): Promise<void>;
}

export interface StartDifyServerOptions {
  store: DifyStore;
  profile?: DifyProfile | EraProfileName;
  faults?: DifyFaults;
  port?: number;
  host?: string;
  accessTokenTtlSeconds?: number;
  /**
   * 'shuffled' (default): runs of one second come back in a new order on every log request,
   * as PostgreSQL returns rows `ORDER BY created_at DESC` leaves tied. 'per-query': an order
   * of their own for each distinct query (filters, page, limit), the same whenever that query
   * is asked again, as the real Dify 1.14.1 was measured to do. 'stable': store order.
   */
  tieOrder?: 'shuffled' | 'per-query' | 'stable';
  /** Seed of the tie shuffles, so a failing test can be run again the same way. */
  tieSeed?: number;
}

const every = (n: number | undefined, count: number): boolean => n !== undefined && n > 0 && count % n === 0;

function recordedBody(path: string, text: string): unknown {
  if (text === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text.slice(0, 200);
  }
  if (path === '/console/api/login' && typeof body === 'object' && body !== null && 'password' in body) return { ...body, password: '***' };
  return body;
}

/** A proxy-style 5xx: Dify's JSON for 500, nginx HTML for 502/503 (what clients really meet). */
function serverError(status: 500 | 502 | 503): Reply {
  if (status === 500) return { status, body: { code: 'unknown', message: 'Internal Server Error', status: 500 } };
  const title = status === 502 ? '502 Bad Gateway' : '503 Service Temporarily Unavailable';
  return { status, text: `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center><hr><center>nginx</center></body></html>`, headers: { 'content-type': 'text/html' } };
}

export async function startDifyServer(options: StartDifyServerOptions): Promise<RunningDifyServer> {
  const profile = resolveProfile(options.profile);
  const auth = new ConsoleAuthState(options.store, profile, options.accessTokenTtlSeconds ?? 3600);
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let faults: DifyFaults = {};
  let count = 0;
  let malformedLeft = 0;
  let holding: ((request: RecordedRequest) => boolean) | undefined;
  const held: (() => void)[] = [];
  const tieRng = new Rng(hashSeed('tie-order', options.tieSeed ?? 1));
  const logOrdering = (query: URLSearchParams): LogOrdering => {
    const tieOrder = options.tieOrder ?? 'shuffled';
    if (tieOrder === 'stable') return { dateFilters: profile.logDateFilters };
    const shuffleTies = tieOrder === 'shuffled' ? tieRng : new Rng(hashSeed('tie-order', options.tieSeed ?? 1, [...query].sort().join('&')));
    return { dateFilters: profile.logDateFilters, shuffleTies };
  };

  const setFaults = (next: DifyFaults): void => {
    faults = { ...next };
    count = 0;
    malformedLeft = next.malformedLogPages ?? 0;
    auth.expireAfterRequests = next.expireConsoleSessionAfter;
  };
  setFaults(options.faults ?? {});

  const route = (req: IncomingMessage, path: string, query: URLSearchParams, body: string): { reply: Reply; credential?: CredentialForm } => {
    const method = req.method ?? 'GET';
    if (path.startsWith('/v1/')) return { reply: handleService(options.store, profile, method, path, query, req.headers.authorization, logOrdering(query)) };
    if (path.startsWith('/console/api/')) {
      const csrf = req.headers['x-csrf-token'];
      return handleConsole(options.store, profile, auth, {
        method,
        path,
        query,
        body,
        authorization: req.headers.authorization,
        cookie: req.headers.cookie,
        csrfHeader: Array.isArray(csrf) ? csrf[0] : csrf,
        logOrdering: logOrdering(query),
      });
    }
    return { reply: notFound() };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const arrived = performance.now();
    const url = new URL(req.url ?? '/', 'http://simulated.dify');
    const text = await readBody(req);
    const csrf = req.headers['x-csrf-token'];
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: {
        ...(req.headers.authorization !== undefined && { authorization: req.headers.authorization }),
        ...(req.headers.cookie !== undefined && { cookie: req.headers.cookie }),
        ...(csrf !== undefined && { 'x-csrf-token': Array.isArray(csrf) ? csrf.join(', ') : csrf }),
        ...(req.headers['content-type'] !== undefined && { 'content-type': req.headers['content-type'] }),
      },
      status: 0,
      at: Date.now(),
    };
    const body = recordedBody(url.pathname, text);
    if (body !== undefined) record.body = body;
    requests.push(record);

    if (holding?.(record)) {
      await new Promise<void>((resolve) => held.push(resolve));
      if (res.destroyed || req.socket.destroyed) return;
    }

    count += 1;
    if (every(faults.hangEvery, count)) return;
    if (every(faults.resetEvery, count)) {
      req.socket.destroy();
      return;
    }
    let result: { reply: Reply; credential?: CredentialForm };
    if (every(faults.serverErrorEvery, count)) {
      result = { reply: serverError(faults.serverErrorStatus ?? 500) };
    } else if (every(faults.rateLimitEvery, count)) {
      const headers = faults.retryAfterSeconds !== undefined ? { 'retry-after': String(faults.retryAfterSeconds) } : undefined;
      result = { reply: { status: 429, body: { code: 'too_many_requests', message: 'Too many requests. Please try again later.', status: 429 }, headers } };
    } else {
      result = route(req, url.pathname, url.searchParams, text);
      if (url.pathname === '/v1/workflows/logs' && result.reply.status === 200 && malformedLeft > 0) {
        malformedLeft -= 1;
        const full = JSON.stringify(result.reply.body);
        result = { reply: { status: 200, text: full.slice(0, Math.max(1, Math.floor(full.length / 2))), headers: { 'content-type': 'application/json' } } };
      }
    }
    if (result.credential !== undefined) record.credential = result.credential;

    const finish = (): void => {
      record.status = result.reply.status;
      // 1.14 announces its version on every answer, errors included.
      const announced: Record<string, string> = profile.versionSource === 'header' ? { 'x-version': profile.serverVersion, 'x-env': 'PRODUCTION' } : {};
      send(res, { ...result.reply, headers: { ...announced, ...(result.reply.headers ?? {}) } });
    };
    if (faults.latencyMs) {
      // The answer leaves `latencyMs` after the request arrived, never sooner: the time this
      // server took to build it is part of the latency, as it is of a real server's.
      const answerAt = arrived + faults.latencyMs;
      const wait = (): void => {
        const left = answerAt - performance.now();
        if (left <= 0) {
          if (!res.destroyed) finish();
          return;
        }
        const timer = setTimeout(() => {
          timers.delete(timer);
          wait();
        }, Math.ceil(left));
        timers.add(timer);
      };
      wait();
    } else {
      finish();
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, { status: 500, body: { code: 'unknown', message: `Internal Server Error: ${String(error)}`, status: 500 } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    requests,
    profile,
    setFaults,
    loginFailures: (email) => auth.loginFailures(email),
    hold: (match) => {
      holding = match;
    },
    release: () => {
      holding = undefined;
      for (const resume of held.splice(0)) resume();
    },
    close: async () => {
      holding = undefined;
      for (const resume of held.splice(0)) resume();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
