import type { ChannelSettings } from '../../config/load';
import { nonRetryable, retryable, type ChannelError, type NotificationChannel } from './channel';
import { cutToBytes } from './dingtalk';
import { describeUrl, postJson, type HttpReply } from './http';
import type { Notification } from './message';

/**
 * WeCom (企业微信) group robot: one `markdown` message per notification. The robot has no
 * signing; the `key` in its URL is the credential, so it is treated as a secret.
 * https://developer.work.weixin.qq.com/document/path/91770
 */

export type WeComSettings = NonNullable<ChannelSettings['wecom']>;

/** WeCom refuses markdown content above 4,096 bytes. */
export const WECOM_MAX_BYTES = 4096;
/** WeCom allows 20 messages a minute per robot. */
export const WECOM_RATE_LIMIT_DELAY_MS = 60_000;
const CUT_NOTE = '\n\n… (cut: the full report is in the report folder)';

export interface WeComMessage {
  msgtype: 'markdown';
  markdown: { content: string };
}

export function wecomMessage(notification: Notification, settings: WeComSettings): WeComMessage {
  // Only `<@userid>` in the markdown itself mentions someone (mentioned_list is for text messages).
  const mentions = settings.mention.length > 0 ? `\n\n${settings.mention.map((user) => `<@${user}>`).join(' ')}` : '';
  // WeCom markdown knows `#` headings but no `####`; it renders bold, quotes, lists as text.
  const text = notification.markdown.replace(/^#### /, '### ');
  const room = WECOM_MAX_BYTES - Buffer.byteLength(mentions);
  const body = Buffer.byteLength(text) <= room ? text : `${cutToBytes(text, room - Buffer.byteLength(CUT_NOTE))}${CUT_NOTE}`;
  return { msgtype: 'markdown', markdown: { content: `${body}${mentions}` } };
}

/** Reads WeCom's `{errcode, errmsg}` answer (HTTP 200 for refusals too). */
export function classifyWeComReply(reply: HttpReply, where: string): ChannelError | null {
  if (reply.status === 429) return retryable(`${where} is rate limiting (HTTP 429)`, 'NotifyRateLimited', Math.max(reply.retryAfterMs ?? 0, WECOM_RATE_LIMIT_DELAY_MS));
  if (reply.status >= 500 || reply.status === 408) return retryable(`${where} answered HTTP ${reply.status}`, 'NotifyUnavailable');
  if (reply.status < 200 || reply.status >= 300) return nonRetryable(`${where} answered HTTP ${reply.status}; check WECOM_WEBHOOK (the robot's full webhook URL with its key)`, 'NotifyConfigError');
  let answer: { errcode?: unknown; errmsg?: unknown };
  try {
    answer = JSON.parse(reply.text) as typeof answer;
  } catch {
    return retryable(`${where} answered HTTP ${reply.status} with a body that is not WeCom's JSON: ${reply.text.slice(0, 200)}`, 'NotifyUnavailable');
  }
  const errcode = Number(answer.errcode);
  const errmsg = typeof answer.errmsg === 'string' ? answer.errmsg : '';
  if (errcode === 0) return null;
  const said = `${where} refused the message: errcode ${errcode} ${errmsg}`.trim();
  if (errcode === 45009) return retryable(`${said} (more than 20 messages a minute); retrying after a minute`, 'NotifyRateLimited', WECOM_RATE_LIMIT_DELAY_MS);
  if (errcode === 93000 || errcode === 40008 || errcode === 40013) return nonRetryable(`${said}; check WECOM_WEBHOOK: the key is wrong or the robot was removed`, 'NotifyConfigError');
  if (errcode === -1 || Number.isNaN(errcode)) return retryable(said, 'NotifyUnavailable');
  return nonRetryable(said, 'NotifyRejected');
}

export function wecomChannel(settings: WeComSettings): NotificationChannel {
  const where = `WeCom robot ${describeUrl(settings.webhook)}`;
  const key = new URL(settings.webhook).searchParams.get('key');
  return {
    name: 'wecom',
    secrets: [settings.webhook, ...(key ? [key] : [])],
    async send(notification: Notification): Promise<string> {
      const failure = classifyWeComReply(await postJson(settings.webhook, JSON.stringify(wecomMessage(notification, settings)), {}, where), where);
      if (failure) throw failure;
      return `posted to ${where}${settings.mention.length > 0 ? `, mentioning ${settings.mention.join(', ')}` : ''}`;
    },
  };
}
