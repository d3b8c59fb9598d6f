import { asyncLocalStorage, Context } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ConsoleCredentials } from '../../config/load';
import type { ConsoleAuthMode } from '../../config/schema';
import { pickConsoleEra, unknownVersionError, type Era } from './console-era';
import { DifyError, errorFromResponse, isDifyError, readErrorBody } from './errors';
import { setCookies, type HttpResponse, type HttpTransport } from './http';

/**
 * A console session: logs in lazily and once (concurrent callers share the attempt),
 * produces the headers every console request needs, and renews itself after a 401.
 * Contract section 3 describes the four eras handled here.
 */

const loginAnswerSchema = z.object({
  result: z.string(),
  code: z.string().optional(),
  data: z.union([z.string(), z.object({ access_token: z.string(), refresh_token: z.string() }).loose(), z.null()]).optional(),
  message: z.string().optional(),
});

/** How the current session authenticates, decided by what the login actually returned. */
type Session =
  | { kind: 'bearer'; accessToken: string; refreshToken?: string }
  | { kind: 'cookie'; cookies: Map<string, string> };

export interface ConsoleAuthOptions {
  http: HttpTransport;
  credentials: ConsoleCredentials;
  mode: ConsoleAuthMode;
  serverVersion: () => Promise<string | null>;
  /** Registers a value (token, cookie) that must be redacted from every message from now on. */
  addSecret: (value: string) => void;
}

export interface ConsoleAuthHeaders {
  headers: Record<string, string>;
  /** Which session produced the headers; passed back to `renew` after a 401. */
  generation: number;
}

/** Base name of a Dify auth cookie: `__Host-csrf_token` → `csrf_token`. */
function baseName(name: string): string {
  return name.replace(/^__(Host|Secure)-/, '');
}

function findCookie(cookies: Map<string, string>, base: string): [string, string] | undefined {
  for (const entry of cookies) if (baseName(entry[0]) === base) return entry;
  return undefined;
}

/** Applies Set-Cookie headers to a jar, keeping names exactly as received (Dify reads them back by name). */
function applySetCookies(jar: Map<string, string>, response: HttpResponse): void {
  for (const line of setCookies(response.headers)) {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    const expired = attributes.some((attribute) => {
      const [key = '', val = ''] = attribute.split('=').map((part) => part.trim());
      if (/^max-age$/i.test(key)) return Number(val) <= 0;
      if (/^expires$/i.test(key)) return Date.parse(val) <= Date.now();
      return false;
    });
    if (expired || value === '') jar.delete(name);
    else jar.set(name, value);
  }
}

/**
 * A console session: one per worker process, Dify server, app and credentials, shared by
 * every activity (see `sharedConsoleSession`).
 */
export class ConsoleSession {
  private session: Session | undefined;
  /** Tokens and cookies this session produced, for the redaction of every client that uses it. */
  private readonly issued: string[] = [];
  private generation = 0;
  private inflight: Promise<void> | undefined;
  /** A login Dify refused for good (wrong password, lockout): never asked again in this process. */
  private refused: DifyError | undefined;
  private era: Era | undefined;

  constructor(private readonly options: ConsoleAuthOptions) {
    if (options.credentials.kind === 'password') {
      this.addSecret(options.credentials.password);
      this.addSecret(Buffer.from(options.credentials.password, 'utf8').toString('base64'));
    } else {
      this.addSecret(options.credentials.token);
    }
  }

  /** Every secret value this session knows (credentials, issued tokens and cookies). */
  get secrets(): readonly string[] {
    return this.issued;
  }

  private addSecret(value: string): void {
    if (!this.issued.includes(value)) this.issued.push(value);
    this.options.addSecret(value);
  }

  get usesPreIssuedToken(): boolean {
    return this.options.credentials.kind === 'token';
  }

  async authHeaders(): Promise<ConsoleAuthHeaders> {
    const { credentials } = this.options;
    if (credentials.kind === 'token') return { headers: { authorization: `Bearer ${credentials.token}` }, generation: 0 };
    if (!this.session) await this.singleFlight(() => this.login());
    const session = this.session;
    if (!session) throw new DifyError('auth', 'console login produced no session; check DIFY_CONSOLE_AUTH', { retryable: false, setting: 'DIFY_CONSOLE_AUTH' });
    if (session.kind === 'bearer') return { headers: { authorization: `Bearer ${session.accessToken}` }, generation: this.generation };
    const access = findCookie(session.cookies, 'access_token');
    const csrf = findCookie(session.cookies, 'csrf_token');
    const pairs = [access, csrf].filter((entry): entry is [string, string] => entry !== undefined);
    const headers: Record<string, string> = { cookie: pairs.map(([name, value]) => `${name}=${value}`).join('; ') };
    // Cookie-era Dify checks CSRF inside login_required, i.e. on GETs too.
    if (csrf) headers['x-csrf-token'] = csrf[1];
    return { headers, generation: this.generation };
  }

  /**
   * Called after a console data request got 401 with the session of `usedGeneration`.
   * Refreshes (token pair, cookies) or logs in again (single JWT) once; callers that
   * raced on the same stale session share that one renewal.
   */
  async renew(usedGeneration: number): Promise<void> {
    if (this.options.credentials.kind === 'token') return;
    if (usedGeneration !== this.generation) return;
    await this.singleFlight(async () => {
      if (usedGeneration !== this.generation) return;
      const session = this.session;
      if (session && !(session.kind === 'bearer' && session.refreshToken === undefined)) {
        try {
          await this.refresh(session);
          return;
        } catch (error) {
          // An expired or rotated-away refresh token: one fresh login is still safe, the password was accepted before.
          if (!isDifyError(error) || error.kind !== 'auth') throw error;
        }
      }
      await this.login();
    });
  }

  private async singleFlight(task: () => Promise<void>): Promise<void> {
    if (this.refused) throw this.refused;
    if (!this.inflight) {
      // Outside any activity's context: the login serves every activity of the worker, so the
      // cancellation of the one that happened to start it must not abort it for the others.
      this.inflight = asyncLocalStorage.exit(() =>
        task().finally(() => {
          this.inflight = undefined;
        }),
      );
    }
    await whileNotCancelled(this.inflight);
  }

  private async resolveEra(): Promise<Era> {
    if (this.era) return this.era;
    if (this.options.mode !== 'auto') {
      this.era = this.options.mode;
      return this.era;
    }
    const version = await this.options.serverVersion();
    if (version === null) throw unknownVersionError('(no X-Version header on its answers and no GET /v1/ route)');
    this.era = pickConsoleEra(version);
    return this.era;
  }

  private async login(): Promise<void> {
    const { credentials, http } = this.options;
    if (credentials.kind !== 'password') return;
    const era = await this.resolveEra();
    const password = era === 'cookie-base64' ? Buffer.from(credentials.password, 'utf8').toString('base64') : credentials.password;
    try {
      const response = await http.withRetries(async () => {
        const answer = await http.send({ method: 'POST', path: '/console/api/login', json: { email: credentials.email, password, remember_me: true } }, 'the console login');
        if (answer.status < 200 || answer.status >= 300) {
          throw errorFromResponse('login', answer.status, readErrorBody(answer.text), 'the console login');
        }
        return answer;
      });
      this.adopt(this.sessionFromLogin(response));
    } catch (error) {
      if (isDifyError(error) && !error.retryable) this.refused = error;
      throw error;
    }
  }

  /** Reads the session from whatever the login returned, so a near-miss era guess still works without another attempt. */
  private sessionFromLogin(response: HttpResponse): Session {
    const jar = new Map<string, string>();
    applySetCookies(jar, response);
    let answer: z.infer<typeof loginAnswerSchema> | undefined;
    try {
      const parsed = loginAnswerSchema.safeParse(JSON.parse(response.text));
      if (parsed.success) answer = parsed.data;
    } catch {
      answer = undefined;
    }
    if (answer && answer.result !== 'success') {
      const reason =
        answer.code === 'account_not_found'
          ? 'no console account has that e-mail'
          : typeof answer.data === 'string'
            ? answer.data.slice(0, 200)
            : (answer.message ?? 'login failed');
      throw new DifyError('auth', `Dify refused the console login (${reason}); check DIFY_CONSOLE_EMAIL`, { retryable: false, setting: 'DIFY_CONSOLE_EMAIL', status: response.status });
    }
    if (findCookie(jar, 'access_token')) return { kind: 'cookie', cookies: jar };
    const data = answer?.data;
    if (typeof data === 'string' && data !== '') return { kind: 'bearer', accessToken: data };
    if (data && typeof data === 'object') return { kind: 'bearer', accessToken: data.access_token, refreshToken: data.refresh_token };
    throw new DifyError(
      'schema',
      'Dify accepted the console login but returned neither a token nor session cookies; set DIFY_CONSOLE_AUTH to match the Dify version',
      { retryable: false, setting: 'DIFY_CONSOLE_AUTH' },
    );
  }

  private adopt(session: Session): void {
    if (session.kind === 'bearer') {
      this.addSecret(session.accessToken);
      if (session.refreshToken) this.addSecret(session.refreshToken);
    } else {
      for (const value of session.cookies.values()) this.addSecret(value);
    }
    this.session = session;
    this.generation += 1;
  }

  private async refresh(session: Session): Promise<void> {
    const { http } = this.options;
    const what = 'the console token refresh';
    const response = await http.withRetries(async () => {
      const answer =
        session.kind === 'cookie'
          ? await http.send({ method: 'POST', path: '/console/api/refresh-token', headers: this.cookieHeaders(session.cookies) }, what)
          : await http.send({ method: 'POST', path: '/console/api/refresh-token', json: { refresh_token: session.refreshToken } }, what);
      if (answer.status < 200 || answer.status >= 300) throw errorFromResponse('refresh', answer.status, readErrorBody(answer.text), what);
      return answer;
    });
    if (session.kind === 'cookie') {
      const jar = new Map(session.cookies);
      applySetCookies(jar, response);
      this.adopt({ kind: 'cookie', cookies: jar });
      return;
    }
    const parsed = loginAnswerSchema.safeParse(safeJson(response.text));
    const data = parsed.success ? parsed.data.data : undefined;
    if (!data || typeof data !== 'object') {
      throw new DifyError('auth', 'Dify answered the console token refresh without new tokens', { retryable: false, setting: 'DIFY_CONSOLE_AUTH' });
    }
    this.adopt({ kind: 'bearer', accessToken: data.access_token, refreshToken: data.refresh_token });
  }

  /** Every cookie of the jar plus the CSRF header, as a browser would send to the refresh endpoint. */
  private cookieHeaders(cookies: Map<string, string>): Record<string, string> {
    const headers: Record<string, string> = { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
    const csrf = findCookie(cookies, 'csrf_token');
    if (csrf) headers['x-csrf-token'] = csrf[1];
    return headers;
  }
}

/** Waits for `work`, or ends with the activity's CancelledFailure if the attempt is cancelled first. */
async function whileNotCancelled<T>(work: Promise<T>): Promise<T> {
  let context: Context | undefined;
  try {
    context = Context.current();
  } catch {
    return work;
  }
  return Promise.race([work, context.cancelled]);
}

const sessions = new Map<string, ConsoleSession>();

/**
 * The worker-wide console session for one Dify server, app and set of credentials. Every
 * activity (every shard, schedule and retry) uses the same one, so the worker logs in once,
 * renews once on expiry, and a login Dify refused is not tried again until the settings
 * change (new credentials are a new key): a wrong password costs one failed login per worker,
 * far from Dify's lockout.
 */
export function sharedConsoleSession(identity: { baseUrl: string; appId?: string; credentials: ConsoleCredentials; mode: ConsoleAuthMode }, create: () => ConsoleSession): ConsoleSession {
  const secret = identity.credentials.kind === 'password' ? `${identity.credentials.email}\n${identity.credentials.password}` : identity.credentials.token;
  // Hashed so credentials do not sit in a map key in heap dumps.
  const key = createHash('sha256').update([identity.baseUrl, identity.appId ?? '', identity.mode, identity.credentials.kind, secret].join('\n')).digest('hex');
  let session = sessions.get(key);
  if (!session) {
    session = create();
    sessions.set(key, session);
  }
  return session;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
