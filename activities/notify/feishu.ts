import { createHmac } from 'node:crypto';
import type { ChannelSettings } from '../../config/load';
import { nonRetryable, retryable, type ChannelError, type NotificationChannel } from './channel';
import { cutToBytes } from './dingtalk';
import { describeUrl, postJson, type HttpReply } from './http';
import type { Notification } from './message';

/**
 * Feishu/Lark custom bot: one interactive card per notification, its header the title and
 * its body the message's markdown (card markdown has no headings, so the heading line goes).
 * https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
 */

export type FeishuSettings = NonNullable<ChannelSettings['feishu']>;

/** Feishu refuses request bodies above 20 KB; the margin covers the card's JSON around the text. */
export const FEISHU_MAX_BYTES = 18_000;
/** Feishu allows 100 messages a minute (5 a second) per bot. */
export const FEISHU_RATE_LIMIT_DELAY_MS = 60_000;

export interface FeishuMessage {
  timestamp?: string;
  sign?: string;
  msg_type: 'interactive';
  card: {
    config: { wide_screen_mode: true };
    header: { template: 'red' | 'orange' | 'blue'; title: { tag: 'plain_text'; content: string } };
    elements: { tag: 'markdown'; content: string }[];
  };
}

/**
 * `sign` = Base64 of HMAC-SHA256 over an empty message, keyed by `timestamp\nsecret`, with the
 * timestamp in seconds (Feishu's scheme differs from DingTalk's in both respects).
 */
export function feishuSign(timestampSeconds: number, secret: string): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

export function feishuMessage(notification: Notification, signature?: { timestamp: number; sign: string }): FeishuMessage {
  const body = notification.markdown.replace(/^#{1,6} .*\n+/, '');
  const text = Buffer.byteLength(body) <= FEISHU_MAX_BYTES ? body : `${cutToBytes(body, FEISHU_MAX_BYTES - 200)}\n\n…`;
  const incomplete = notification.completeness?.complete === false;
  const template = notification.kind === 'failure' || notification.alerts.length > 0 ? 'red' : incomplete ? 'orange' : 'blue';
  return {
    ...(signature ? { timestamp: String(signature.timestamp), sign: signature.sign } : {}),
    msg_type: 'interactive',
    card: {
      config: { wide_screen_mode: true },
      header: { template, title: { tag: 'plain_text', content: notification.title } },
      elements: [{ tag: 'markdown', content: text }],
    },
  };
}

/** Reads Feishu's `{code, msg}` answer (older bots answer `{StatusCode, StatusMessage}`), mostly with HTTP 200. */
export function classifyFeishuReply(reply: HttpReply, where: string): ChannelError | null {
  if (reply.status === 429) return retryable(`${where} is rate limiting (HTTP 429)`, 'NotifyRateLimited', Math.max(reply.retryAfterMs ?? 0, FEISHU_RATE_LIMIT_DELAY_MS));
  if (reply.status >= 500 || reply.status === 408) return retryable(`${where} answered HTTP ${reply.status}`, 'NotifyUnavailable');
  let answer: { code?: unknown; msg?: unknown; StatusCode?: unknown; StatusMessage?: unknown };
  try {
    answer = JSON.parse(reply.text) as typeof answer;
  } catch {
    if (reply.status === 404) return nonRetryable(`${where} answered HTTP 404; check FEISHU_WEBHOOK (the bot's full webhook URL)`, 'NotifyConfigError');
    return retryable(`${where} answered HTTP ${reply.status} with a body that is not Feishu's JSON: ${reply.text.slice(0, 200)}`, 'NotifyUnavailable');
  }
  const code = Number(answer.code ?? answer.StatusCode);
  const msg = typeof answer.msg === 'string' ? answer.msg : typeof answer.StatusMessage === 'string' ? answer.StatusMessage : '';
  if (code === 0 && reply.status >= 200 && reply.status < 300) return null;
  const said = `${where} refused the message: code ${code} ${msg}`.trim();
  if (code === 11232 || code === 9499 && /frequen|limit/i.test(msg)) return retryable(`${said}; retrying after a minute`, 'NotifyRateLimited', FEISHU_RATE_LIMIT_DELAY_MS);
  if (code === 19021) return nonRetryable(`${said}; check FEISHU_SECRET (the bot's signature secret) and the worker's clock`, 'NotifyConfigError');
  if (code === 19024) return nonRetryable(`${said}; the bot's custom keywords must allow the message (it contains "Difyscope")`, 'NotifyConfigError');
  if (code === 19022) return nonRetryable(`${said}; the bot's IP allowlist does not include the worker`, 'NotifyConfigError');
  if (code === 19001 || code === 19002 || reply.status === 404) return nonRetryable(`${said}; check FEISHU_WEBHOOK: the token is wrong or the bot was removed`, 'NotifyConfigError');
  if (Number.isNaN(code)) return retryable(said, 'NotifyUnavailable');
  return nonRetryable(said, 'NotifyRejected');
}

export function feishuChannel(settings: FeishuSettings, now: () => number = Date.now): NotificationChannel {
  const where = `Feishu bot ${describeUrl(settings.webhook).replace(/\/hook\/.*$/, '/hook/…')}`;
  const token = new URL(settings.webhook).pathname.split('/').pop() ?? '';
  return {
    name: 'feishu',
    secrets: [settings.webhook, ...(token.length >= 8 ? [token] : []), ...(settings.secret ? [settings.secret] : [])],
    async send(notification: Notification): Promise<string> {
      // Feishu accepts a signature for an hour around its timestamp: computed per attempt.
      const timestamp = Math.floor(now() / 1000);
      const message = feishuMessage(notification, settings.secret ? { timestamp, sign: feishuSign(timestamp, settings.secret) } : undefined);
      const failure = classifyFeishuReply(await postJson(settings.webhook, JSON.stringify(message), {}, where), where);
      if (failure) throw failure;
      return `posted to ${where}${settings.secret ? ' (signed)' : ''}`;
    },
  };
}
