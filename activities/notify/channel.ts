import type { NotifyChannel } from '../../common/report-options';
import type { Notification } from './message';

/**
 * What a notification channel implements. A new channel (Feishu/Lark, WeCom, Slack…) is one
 * file exporting a `ChannelFactory`, plus one line in registry.ts and its settings in config.
 * The dispatcher owns exactly-once delivery (ledger, intents) and error mapping; a channel
 * only turns a Notification into one request and says whether the far side accepted it.
 */

export interface Delivery {
  /**
   * Stable per message and channel (reused from the intent record on a resend), so the far
   * side can recognise a duplicate: e-mail's Message-ID, the webhook's Idempotency-Key.
   */
  messageId: string;
  idempotencyKey: string;
}

export interface NotificationChannel {
  readonly name: NotifyChannel;
  /**
   * Values besides Settings.secrets that must never reach a message, e.g. the access_token
   * inside a DingTalk URL (the configured secret is the whole URL, which errors rarely quote).
   */
  readonly secrets: readonly string[];
  /** Resolves once the far side accepted the message; the string says where it went (no secrets). */
  send(notification: Notification, delivery: Delivery): Promise<string>;
}

/** How a channel says what went wrong; the dispatcher turns it into a Temporal ApplicationFailure. */
export class ChannelError extends Error {
  readonly retryable: boolean;
  readonly type: string;
  readonly retryAfterMs?: number;

  constructor(message: string, options: { retryable: boolean; type: string; retryAfterMs?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ChannelError';
    this.retryable = options.retryable;
    this.type = options.type;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function nonRetryable(message: string, type: string, cause?: unknown): ChannelError {
  return new ChannelError(message, { retryable: false, type, cause });
}

export function retryable(message: string, type: string, retryAfterMs?: number, cause?: unknown): ChannelError {
  return new ChannelError(message, { retryable: true, type, retryAfterMs, cause });
}

/** One line of an arbitrary error, for messages: network errors from undici nest the useful part in `cause`. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error && error.cause.message !== error.message ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`.replace(/\s+/g, ' ').trim();
}
