/**
 * Behaviour switches of the simulated Dify, one profile per console-login era (contract
 * sections 3, 8 and 9). Each profile's `serverVersion` lies inside its era, so a client in
 * `auto` mode picks the matching login flavour from GET /v1/.
 */
export type EraProfileName = 'legacy' | 'tokenpair' | 'cookie' | 'cookie-host' | 'cookie-base64' | '1.14.1';

export interface DifyProfile {
  era: 'legacy' | 'tokenpair' | 'cookie' | 'cookie-base64';
  serverVersion: string;
  /** `__Host-` cookie names (https console without COOKIE_DOMAIN). */
  hostPrefixCookies: boolean;
  /** Service run detail `created_at`/`finished_at`: integers, or RFC-822 strings (0.x / early 1.x). */
  runDetailTimestamps: 'int' | 'rfc822';
  /** Service run detail `outputs`: JSON text (≤ ~1.11) or an object (newer). */
  runDetailOutputs: 'string' | 'object';
  /** Unknown run id: 200 with every field null (≤ ~1.11), or 404 not_found (newer). */
  unknownRun: 'null200' | '404';
  /** App admission 403 codes: `forbidden` (1.x) or the specific `app_api_disabled` … (newest). */
  admissionCodes: 'forbidden' | 'specific';
  /**
   * Where the server's version shows: `index` = GET /v1/ answers `server_version` (older
   * releases); `header` = `X-Version`/`X-Env` headers on every answer and GET /v1/ is a 404
   * (1.14); `none` = neither (a proxy stripping headers in front of a release without /v1/).
   */
  versionSource?: 'index' | 'header' | 'none';
  /**
   * The 1.14 API as recorded from the real server (test/fixtures/real-dify): pydantic query
   * validation messages, 500 for a non-UUID run id, 200 with no logs for a chat app's key,
   * "Invalid encrypted data" for a password that is not base64, node executions by index.
   */
  release114?: boolean;
  /** `created_at__before/__after` on log listings (from ~0.15; 0.x before ignores them). */
  logDateFilters: boolean;
}

export const PROFILES: Record<EraProfileName, DifyProfile> = {
  legacy: {
    era: 'legacy',
    serverVersion: '0.8.3',
    hostPrefixCookies: false,
    runDetailTimestamps: 'rfc822',
    runDetailOutputs: 'string',
    unknownRun: 'null200',
    admissionCodes: 'forbidden',
    logDateFilters: false,
  },
  tokenpair: {
    era: 'tokenpair',
    serverVersion: '1.4.3',
    hostPrefixCookies: false,
    runDetailTimestamps: 'int',
    runDetailOutputs: 'string',
    unknownRun: 'null200',
    admissionCodes: 'forbidden',
    logDateFilters: true,
  },
  cookie: {
    era: 'cookie',
    serverVersion: '1.10.1',
    hostPrefixCookies: false,
    runDetailTimestamps: 'int',
    runDetailOutputs: 'string',
    unknownRun: 'null200',
    admissionCodes: 'forbidden',
    logDateFilters: true,
  },
  'cookie-host': {
    era: 'cookie',
    serverVersion: '1.10.1',
    hostPrefixCookies: true,
    runDetailTimestamps: 'int',
    runDetailOutputs: 'string',
    unknownRun: 'null200',
    admissionCodes: 'forbidden',
    logDateFilters: true,
  },
  'cookie-base64': {
    era: 'cookie-base64',
    serverVersion: '1.13.0',
    hostPrefixCookies: true,
    runDetailTimestamps: 'int',
    runDetailOutputs: 'object',
    unknownRun: '404',
    admissionCodes: 'specific',
    logDateFilters: true,
  },
  '1.14.1': {
    era: 'cookie-base64',
    serverVersion: '1.14.1',
    hostPrefixCookies: false,
    runDetailTimestamps: 'int',
    runDetailOutputs: 'object',
    unknownRun: '404',
    admissionCodes: 'specific',
    versionSource: 'header',
    release114: true,
    logDateFilters: true,
  },
};

export function resolveProfile(profile: DifyProfile | EraProfileName | undefined): DifyProfile {
  if (profile === undefined) return PROFILES['cookie-base64'];
  return typeof profile === 'string' ? PROFILES[profile] : profile;
}

export const isCookieEra = (profile: DifyProfile): boolean => profile.era === 'cookie' || profile.era === 'cookie-base64';
