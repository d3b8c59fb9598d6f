import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Response helpers of the simulated Dify: JSON bodies, Dify's error envelope
 * (`api/libs/external_api.py`) and its reqparse-era variant.
 */

export interface Reply {
  status: number;
  body?: unknown;
  /** Raw text instead of JSON (malformed pages, proxy HTML). */
  text?: string;
  headers?: Record<string, string | string[]>;
}

export const reply = (status: number, body: unknown, headers?: Record<string, string | string[]>): Reply => ({ status, body, headers });

/** `{"code","message","status"}`: Dify's envelope on both surfaces. */
export const errorReply = (status: number, code: string, message: string, headers?: Record<string, string | string[]>): Reply =>
  reply(status, { code, message, status }, headers);

/**
 * A reqparse argument error: `{"code":"invalid_param","message":<reason>,"params":<arg>}`;
 * the 0.x flask_restful handler omitted `status`, flask-restx added it.
 */
export const paramError = (arg: string, reason: string, withStatus: boolean): Reply =>
  reply(400, withStatus ? { code: 'invalid_param', message: reason, params: arg, status: 400 } : { code: 'invalid_param', message: reason, params: arg });

export const NOT_FOUND_MESSAGE = 'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.';

export const notFound = (): Reply => errorReply(404, 'not_found', NOT_FOUND_MESSAGE);

/** Werkzeug's own HTML 404, what 1.14 answers for a /v1 route it does not have (GET /v1/ included). */
export const htmlNotFound = (): Reply => ({
  status: 404,
  text: `<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>${NOT_FOUND_MESSAGE}</p>\n`,
  headers: { 'content-type': 'text/html; charset=utf-8' },
});

export function send(res: ServerResponse, result: Reply): void {
  const text = result.text ?? (result.body === undefined ? '' : JSON.stringify(result.body));
  const headers: Record<string, string | string[]> = { ...(result.headers ?? {}) };
  if (result.text === undefined) headers['content-type'] = 'application/json';
  else headers['content-type'] ??= 'text/plain; charset=utf-8';
  headers['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(result.status, headers);
  res.end(text);
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    cookies.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return cookies;
}

/** Python's `json.dumps` default separators, as Dify stores run inputs/outputs in Text columns. */
export function pythonJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`).join(', ')}}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** flask-restful `fields.DateTime` (RFC-822) of a naive-UTC time: `Thu, 18 Jul 2024 03:17:40 -0000`. */
export function rfc822(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} -0000`;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * `dateutil.isoparse` for the forms clients send; milliseconds since epoch, or undefined when
 * unreadable. Naive values are UTC, as Dify compares them with naive-UTC columns.
 */
export function parseIsoMillis(value: string): number | undefined {
  const m = ISO.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  let millis = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(s), Math.floor(Number(`0.${frac || '0'}`) * 1000));
  if (new Date(millis).getUTCDate() !== day) return undefined;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    millis -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return millis;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
