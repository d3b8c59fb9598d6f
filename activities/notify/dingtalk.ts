import { createHmac } from 'node:crypto';
import type { ChannelSettings } from '../../config/load';
import { nonRetryable, retryable, type ChannelError, type NotificationChannel } from './channel';
import { describeUrl, postJson, type HttpReply } from './http';
import type { Notification } from './message';

/**
 * DingTalk custom robot: one `markdown` message per notification.
 * https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages
 */

export type DingTalkSettings = NonNullable<ChannelSettings['dingtalk']>;

/** DingTalk refuses markdown above 20,000 bytes; the margin leaves room for mentions and the note. */
export const DINGTALK_MAX_BYTES = 18_000;
/** DingTalk allows 20 messages a minute per robot and then blocks it for ten minutes. */
export const DINGTALK_RATE_LIMIT_DELAY_MS = 60_000;
const CUT_NOTE = "\n\n… (cut here: the message exceeded DingTalk's size limit; the full report is in the report folder)";

export interface DingTalkMessage {
  msgtype: 'markdown';
  markdown: { title: string; text: string };
  at: { atMobiles: string[]; isAtAll: boolean };
}

/** `sign` = Base64 HMAC-SHA256 of `timestamp\nsecret` keyed by the secret; URLSearchParams does the URL-encoding. */
export function dingtalkSign(timestamp: number, secret: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
}

export function signedWebhookUrl(webhook: string, secret: string | undefined, timestamp: number): string {
  if (!secret) return webhook;
  const url = new URL(webhook);
  url.searchParams.set('timestamp', String(timestamp));
  url.searchParams.set('sign', dingtalkSign(timestamp, secret));
  return url.toString();
}

export function accessTokenOf(webhook: string): string | undefined {
  return new URL(webhook).searchParams.get('access_token') ?? undefined;
}

/** Cuts UTF-8 text to at most `maxBytes` at a line end when possible, never inside a character. */
export function cutToBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Continuation bytes are 10xxxxxx: back up to the first byte of a character.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  const cut = bytes.subarray(0, end).toString('utf8');
  const lineEnd = cut.lastIndexOf('\n');
  // A line end in the second half is worth the bytes it loses; earlier, a cut mid-line keeps more.
  return lineEnd > cut.length / 2 ? cut.slice(0, lineEnd) : cut;
}

export function dingtalkMessage(notification: Notification, settings: DingTalkSettings): DingTalkMessage {
  // DingTalk only highlights and notifies a mobile that is also written as @<mobile> in the text.
  const mentions = settings.atMobiles.length > 0 ? `\n\n${settings.atMobiles.map((mobile) => `@${mobile}`).join(' ')}` : '';
  const room = DINGTALK_MAX_BYTES - Buffer.byteLength(mentions) - Buffer.byteLength(CUT_NOTE);
  const body = Buffer.byteLength(notification.markdown) + Buffer.byteLength(mentions) <= DINGTALK_MAX_BYTES ? notification.markdown : `${cutToBytes(notification.markdown, room)}${CUT_NOTE}`;
  return {
    msgtype: 'markdown',
    markdown: { title: notification.title, text: `${body}${mentions}` },
    at: { atMobiles: [...settings.atMobiles], isAtAll: settings.atAll },
  };
}

/** Reads DingTalk's `{errcode, errmsg}` answer (it says HTTP 200 for most refusals). */
export function classifyDingTalkReply(reply: HttpReply, where: string): ChannelError | null {
  if (reply.status === 429) return retryable(`${where} is rate limiting (HTTP 429)`, 'NotifyRateLimited', Math.max(reply.retryAfterMs ?? 0, DINGTALK_RATE_LIMIT_DELAY_MS));
  if (reply.status >= 500 || reply.status === 408) return retryable(`${where} answered HTTP ${reply.status}`, 'NotifyUnavailable');
  if (reply.status === 404 || reply.status === 401 || reply.status === 403) {
    return nonRetryable(`${where} answered HTTP ${reply.status}; check DINGTALK_WEBHOOK (the robot's full webhook URL with its access_token)`, 'NotifyConfigError');
  }
  if (reply.status < 200 || reply.status >= 300) return nonRetryable(`${where} answered HTTP ${reply.status}: ${reply.text.slice(0, 200)}`, 'NotifyRejected');
  let answer: { errcode?: unknown; errmsg?: unknown };
  try {
    answer = JSON.parse(reply.text) as typeof answer;
  } catch {
    return retryable(`${where} answered HTTP ${reply.status} with a body that is not DingTalk's JSON: ${reply.text.slice(0, 200)}`, 'NotifyUnavailable');
  }
  const errcode = typeof answer.errcode === 'number' ? answer.errcode : Number(answer.errcode);
  const errmsg = typeof answer.errmsg === 'string' ? answer.errmsg : '';
  if (errcode === 0) return null;
  const said = `${where} refused the message: errcode ${errcode} ${errmsg}`.trim();
  if (errcode === 130101) return retryable(`${said} (more than 20 messages a minute); retrying after a minute`, 'NotifyRateLimited', DINGTALK_RATE_LIMIT_DELAY_MS);
  if (errcode === 310000) {
    return nonRetryable(
      `${said}; check DINGTALK_SECRET (the robot's signing secret, SEC…), or the robot's custom keywords (messages contain "Difyscope") and IP allowlist`,
      'NotifyConfigError',
    );
  }
  if ((errcode >= 300001 && errcode <= 300099) || (errcode >= 400000 && errcode <= 400999)) {
    return nonRetryable(`${said}; check DINGTALK_WEBHOOK: the access_token is wrong or the robot was removed`, 'NotifyConfigError');
  }
  // -1 is DingTalk's "system busy"; other codes describe the request, which a retry repeats.
  if (errcode === -1 || Number.isNaN(errcode)) return retryable(said, 'NotifyUnavailable');
  return nonRetryable(said, 'NotifyRejected');
}

export function dingtalkChannel(settings: DingTalkSettings, now: () => number = Date.now): NotificationChannel {
  const token = accessTokenOf(settings.webhook);
  const where = `DingTalk robot ${describeUrl(settings.webhook)}`;
  return {
    name: 'dingtalk',
    secrets: [settings.webhook, ...(token ? [token] : []), ...(settings.secret ? [settings.secret] : [])],
    async send(notification: Notification): Promise<string> {
      const message = dingtalkMessage(notification, settings);
      // The signature is valid for an hour, so it is computed per attempt, not stored.
      const reply = await postJson(signedWebhookUrl(settings.webhook, settings.secret, now()), JSON.stringify(message), {}, where);
      const failure = classifyDingTalkReply(reply, where);
      if (failure) throw failure;
      const mentions = settings.atMobiles.length + (settings.atAll ? 1 : 0) > 0 ? `, mentioning ${[...settings.atMobiles, ...(settings.atAll ? ['all'] : [])].join(', ')}` : '';
      return `posted to ${where}${mentions}`;
    },
  };
}
