import { request } from 'undici';
import { describeError, retryable } from './channel';

/**
 * One JSON POST for the chat and webhook channels. Network failures and timeouts become
 * retryable ChannelErrors; what the status means is for each channel to decide.
 */

export interface HttpReply {
  status: number;
  text: string;
  retryAfterMs?: number;
}

const TIMEOUT_MS = 30_000;

/** `Retry-After` in seconds or as an HTTP date. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** `where` names the target without secrets; it is what error messages quote. */
export async function postJson(url: string, body: string, headers: Record<string, string>, where: string): Promise<HttpReply> {
  try {
    const response = await request(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
    const text = await response.body.text();
    return { status: response.statusCode, text, retryAfterMs: retryAfterMs(response.headers['retry-after']) };
  } catch (error) {
    throw retryable(`${where} could not be reached: ${describeError(error)}`, 'NotifyUnavailable', undefined, error);
  }
}

/** The target of a URL for messages: origin and path, never the query (where tokens live). */
export function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}
