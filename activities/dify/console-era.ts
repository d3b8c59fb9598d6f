import type { ConsoleAuthMode } from '../../config/schema';
import { DifyError } from './errors';

/**
 * Which console-login flavour ("era", shared contract section 3) a Dify release speaks.
 *
 * The era is chosen from `server_version` and never by trying flavours in turn: every
 * wrong guess is a failed password attempt, and Dify locks the account after more than 5.
 *
 * Boundaries (first release of each era; the contract gives them as approximate):
 * - A `legacy`       0.x up to 0.9.x: login returns one JWT string, sent as Bearer.
 * - B `tokenpair`    from 0.10.0: access + refresh token pair (users reported frequent
 *                    "Token has expired" right after upgrading to 0.10, when 60-minute access
 *                    tokens and POST /console/api/refresh-token arrived).
 * - C `cookie`       from 1.9.2: PR #24365 "replace localStorage with HTTP-only cookies"; reports
 *                    of cookie-only login/refresh ("No refresh token provided", CSRF 401s) start
 *                    with 1.9.2, while integrations built for 1.9.0 still worked.
 * - D `cookie-base64` from 1.11.2: PR #29659 (mid-December 2025) sends the password as Base64;
 *                    maintained third-party clients switch base64 on "for Dify 1.11.2 and above".
 *                    A few 1.11.1 users reported failed logins after upgrading, so 1.11.1 is the
 *                    least certain boundary: such an instance is told to set DIFY_CONSOLE_AUTH.
 */
export type Era = Exclude<ConsoleAuthMode, 'auto'>;

type Version = readonly [number, number, number];

const BOUNDARIES: readonly { from: Version; era: Era }[] = [
  { from: [1, 11, 2], era: 'cookie-base64' },
  { from: [1, 9, 2], era: 'cookie' },
  { from: [0, 10, 0], era: 'tokenpair' },
  { from: [0, 0, 0], era: 'legacy' },
];

/** `1.11.2`, `v1.11.2`, `1.11.2-fix.1`, `1.9` → [major, minor, patch]; anything else → undefined. */
export function parseVersion(version: string): Version | undefined {
  const match = /^\s*v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+.\w]*)?\s*$/i.exec(version);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

function atLeast(version: Version, bound: Version): boolean {
  for (let i = 0; i < 3; i += 1) {
    const a = version[i] ?? 0;
    const b = bound[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** The login flavour of a Dify release. Throws a non-retryable config error for an unreadable version. */
export function pickConsoleEra(version: string): Era {
  const parsed = parseVersion(version);
  if (!parsed) throw unknownVersionError(`"${version.slice(0, 40)}"`);
  const boundary = BOUNDARIES.find((candidate) => atLeast(parsed, candidate.from));
  return boundary ? boundary.era : 'legacy';
}

export function unknownVersionError(what: string): DifyError {
  return new DifyError(
    'config',
    `cannot tell Dify's console login flavour: server version ${what} is unknown; set DIFY_CONSOLE_AUTH to legacy (0.x before 0.10), tokenpair (0.10 to 1.9.1), cookie (1.9.2 to 1.11.1) or cookie-base64 (1.11.2 and newer)`,
    { retryable: false, setting: 'DIFY_CONSOLE_AUTH' },
  );
}
