import { randomBytes } from 'node:crypto';
import { errorReply, paramError, parseCookies, reply, type Reply } from './http-kit';
import { isCookieEra, type DifyProfile } from './profiles';
import type { DifyStore, SimulatedConsoleUser } from './store';

/**
 * Console login, sessions, refresh and logout of the simulated Dify (contract 3.1–3.5),
 * including the per-e-mail failure counter that locks an account after more than 5 failures.
 */

const LOCKOUT_THRESHOLD = 5;

/** How the password in a login request related to the account's: recorded instead of the value. */
export type CredentialForm = 'plain-match' | 'base64-match' | 'no-match';

interface AccessToken {
  userId: string;
  expiresAt: number;
  /** Console data requests served with this token (for the expireConsoleSessionAfter fault). */
  dataRequests: number;
}

export interface ConsoleRequestAuth {
  method: string;
  authorization?: string;
  cookie?: string;
  csrfHeader?: string;
}

function base64url(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

/** Looks like Dify's HS256 JWTs; the server only checks it against its own table. */
function fakeJwt(payload: Record<string, unknown>): string {
  return `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify({ ...payload, jti: randomBytes(8).toString('hex') }))}.${randomBytes(32).toString('base64url')}`;
}

/** Python's non-validating `base64.b64decode(...).decode("utf-8")`; undefined where Dify's decoder raises. */
function decodeBase64Password(encoded: string): string | undefined {
  const cleaned = encoded.replace(/[^A-Za-z0-9+/=]/g, '');
  if (cleaned.length % 4 !== 0 || /=[^=]/.test(cleaned)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(cleaned, 'base64'));
  } catch {
    return undefined;
  }
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const PASSWORD_RULE = /^(?=.*[a-zA-Z])(?=.*\d).{8,}$/;

export class ConsoleAuthState {
  private readonly failures = new Map<string, number>();
  private readonly access = new Map<string, AccessToken>();
  private readonly refresh = new Map<string, string>();
  private readonly csrf = new Map<string, { userId: string; expiresAt: number }>();
  expireAfterRequests: number | undefined;

  constructor(
    private readonly store: DifyStore,
    private readonly profile: DifyProfile,
    private readonly accessTtlSeconds: number,
  ) {}

  loginFailures(email: string): number {
    return this.failures.get(email) ?? 0;
  }

  private cookieName(base: string): string {
    return this.profile.hostPrefixCookies ? `__Host-${base}` : base;
  }

  private issue(user: SimulatedConsoleUser): { accessToken: string; refreshToken: string; csrfToken: string } {
    const expiresAt = Date.now() + this.accessTtlSeconds * 1000;
    const accessToken = fakeJwt({ user_id: user.id, exp: Math.floor(expiresAt / 1000), sub: 'Console API Passport' });
    const refreshToken = randomBytes(64).toString('hex');
    const csrfToken = fakeJwt({ exp: Math.floor(expiresAt / 1000), sub: user.id });
    this.access.set(accessToken, { userId: user.id, expiresAt, dataRequests: 0 });
    this.refresh.set(refreshToken, user.id);
    this.csrf.set(csrfToken, { userId: user.id, expiresAt });
    return { accessToken, refreshToken, csrfToken };
  }

  private sessionCookies(tokens: { accessToken: string; refreshToken: string; csrfToken: string }): string[] {
    const secure = this.profile.hostPrefixCookies ? '; Secure' : '';
    const refreshAge = 30 * 24 * 3600;
    return [
      `${this.cookieName('access_token')}=${tokens.accessToken}; Max-Age=${this.accessTtlSeconds}; Path=/${secure}; HttpOnly; SameSite=Lax`,
      `${this.cookieName('refresh_token')}=${tokens.refreshToken}; Max-Age=${refreshAge}; Path=/${secure}; HttpOnly; SameSite=Lax`,
      `${this.cookieName('csrf_token')}=${tokens.csrfToken}; Max-Age=${this.accessTtlSeconds}; Path=/${secure}; SameSite=Lax`,
    ];
  }

  login(rawBody: string): { reply: Reply; credential?: CredentialForm; email?: string } {
    const withStatus = this.profile.era !== 'legacy';
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      return { reply: errorReply(400, 'invalid_param', 'Invalid JSON payload received or JSON payload is empty.') };
    }
    if (typeof body !== 'object' || body === null) return { reply: errorReply(400, 'invalid_param', 'Invalid JSON payload received or JSON payload is empty.') };
    const { email, password } = body as { email?: unknown; password?: unknown };
    if (typeof email !== 'string') return { reply: paramError('email', 'Missing required parameter in the JSON body', withStatus) };
    if (!EMAIL.test(email)) return { reply: paramError('email', `${email} is not a valid email.`, withStatus) };
    if (typeof password !== 'string') return { reply: paramError('password', 'Missing required parameter in the JSON body', withStatus) };
    const user = this.store.consoleUsers.find((candidate) => candidate.email === email);
    const credential: CredentialForm =
      user === undefined ? 'no-match' : password === user.password ? 'plain-match' : decodeBase64Password(password) === user.password ? 'base64-match' : 'no-match';

    let plain = password;
    if (this.profile.era === 'cookie-base64') {
      const decoded = decodeBase64Password(password);
      // The decorator fails before the login logic, so this does not count toward the lockout.
      if (decoded === undefined) return { reply: errorReply(401, 'authentication_failed', this.profile.release114 ? 'Invalid encrypted data' : 'Invalid email or password.'), credential, email };
      plain = decoded;
    } else if (this.profile.era === 'legacy' || this.profile.era === 'tokenpair') {
      if (!PASSWORD_RULE.test(plain)) return { reply: paramError('password', 'Password must contain letters and numbers, and the length must be greater than 8.', withStatus), credential, email };
    }
    if (this.profile.era !== 'legacy' && this.loginFailures(email) > LOCKOUT_THRESHOLD) {
      return { reply: errorReply(429, 'email_code_login_limit', 'Too many incorrect password attempts. Please try again later.'), credential, email };
    }
    if (!user || user.password !== plain) {
      this.failures.set(email, this.loginFailures(email) + 1);
      const failed = this.profile.era === 'legacy' ? errorReply(401, 'unauthorized', 'Invalid email or password.') : errorReply(401, 'authentication_failed', 'Invalid email or password.');
      return { reply: failed, credential, email };
    }
    this.failures.delete(email);
    const tokens = this.issue(user);
    switch (this.profile.era) {
      case 'legacy':
        return { reply: reply(200, { result: 'success', data: tokens.accessToken }), credential, email };
      case 'tokenpair':
        return { reply: reply(200, { result: 'success', data: { access_token: tokens.accessToken, refresh_token: tokens.refreshToken } }), credential, email };
      default:
        return { reply: reply(200, { result: 'success' }, { 'set-cookie': this.sessionCookies(tokens) }), credential, email };
    }
  }

  refreshToken(rawBody: string, cookieHeader: string | undefined): Reply {
    if (this.profile.era === 'tokenpair') {
      let token: unknown;
      try {
        token = (JSON.parse(rawBody) as { refresh_token?: unknown }).refresh_token;
      } catch {
        token = undefined;
      }
      const userId = typeof token === 'string' ? this.refresh.get(token) : undefined;
      const user = this.store.consoleUsers.find((candidate) => candidate.id === userId);
      if (typeof token !== 'string' || !user) return reply(401, { result: 'fail', data: 'Invalid refresh token' });
      this.refresh.delete(token);
      const tokens = this.issue(user);
      return reply(200, { result: 'success', data: { access_token: tokens.accessToken, refresh_token: tokens.refreshToken } });
    }
    const token = parseCookies(cookieHeader).get(this.cookieName('refresh_token'));
    if (!token) return reply(401, { result: 'fail', message: 'No refresh token provided' });
    const userId = this.refresh.get(token);
    const user = this.store.consoleUsers.find((candidate) => candidate.id === userId);
    if (!user) return reply(401, { result: 'fail', message: 'Invalid refresh token' });
    this.refresh.delete(token);
    return reply(200, { result: 'success' }, { 'set-cookie': this.sessionCookies(this.issue(user)) });
  }

  logout(auth: ConsoleRequestAuth): Reply {
    if (isCookieEra(this.profile)) {
      const cookies = parseCookies(auth.cookie);
      const refreshToken = cookies.get(this.cookieName('refresh_token'));
      if (refreshToken) this.refresh.delete(refreshToken);
      const accessToken = cookies.get(this.cookieName('access_token'));
      if (accessToken) this.access.delete(accessToken);
      const secure = this.profile.hostPrefixCookies ? '; Secure' : '';
      const cleared = ['access_token', 'refresh_token', 'csrf_token'].map((base) => `${this.cookieName(base)}=; Max-Age=0; Path=/${secure}`);
      return reply(200, { result: 'success' }, { 'set-cookie': cleared });
    }
    const checked = this.authenticate(auth, false);
    if ('refused' in checked) return checked.refused;
    for (const [token, record] of this.access) if (record.userId === checked.userId) this.access.delete(token);
    for (const [token, userId] of this.refresh) if (userId === checked.userId) this.refresh.delete(token);
    return reply(200, { result: 'success' });
  }

  /**
   * `login_required` (contract 3.3): access token from the cookie (cookie eras) or the
   * Bearer header, then the CSRF check in cookie eras — on every method but OPTIONS.
   */
  authenticate(auth: ConsoleRequestAuth, countAsData = true): { userId: string } | { refused: Reply } {
    const cookies = parseCookies(auth.cookie);
    const cookieEra = isCookieEra(this.profile);
    const bearer = /^bearer\s+(.+)$/i.exec(auth.authorization ?? '')?.[1]?.trim();
    const token = (cookieEra ? cookies.get(this.cookieName('access_token')) : undefined) ?? bearer;
    if (!token) return { refused: errorReply(401, 'unauthorized', 'Invalid Authorization token.') };
    const record = this.access.get(token);
    if (!record) return { refused: errorReply(401, 'unauthorized', 'Invalid token.') };
    const countExpired = this.expireAfterRequests !== undefined && record.dataRequests >= this.expireAfterRequests;
    if (record.expiresAt <= Date.now() || countExpired) return { refused: errorReply(401, 'unauthorized', 'Token has expired.') };
    if (cookieEra && auth.method !== 'OPTIONS') {
      const cookieValue = cookies.get(this.cookieName('csrf_token'));
      const csrf = auth.csrfHeader ? this.csrf.get(auth.csrfHeader) : undefined;
      const valid = !!auth.csrfHeader && auth.csrfHeader === cookieValue && csrf !== undefined && csrf.userId === record.userId && csrf.expiresAt > Date.now();
      if (!valid) return { refused: errorReply(401, 'unauthorized', 'CSRF token is missing or invalid.') };
    }
    if (countAsData) record.dataRequests += 1;
    return { userId: record.userId };
  }
}
