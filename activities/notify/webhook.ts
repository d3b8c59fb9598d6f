import { createHmac } from 'node:crypto';
import type { ChannelSettings } from '../../config/load';
import { nonRetryable, retryable, type ChannelError, type Delivery, type NotificationChannel } from './channel';
import { describeUrl, postJson, type HttpReply } from './http';
import type { Notification } from './message';

/**
 * A generic JSON webhook, for systems Difyscope has no dedicated channel for. The body is
 * deterministic for a message, so the HMAC of a resend equals the first one and the receiver
 * can de-duplicate on the Idempotency-Key.
 */

export type WebhookSettings = NonNullable<ChannelSettings['webhook']>;

export interface WebhookBody {
  type: Notification['kind'];
  identity: string;
  app: { key: string; name: string };
  window: Notification['window'] | null;
  summary: Notification['summary'] | null;
  alerts: { rule: string; metric: string; op: string; threshold: number; actual: number; message: string }[];
  completeness: Notification['completeness'] | null;
  failure: Notification['failure'] | null;
  subject: string;
  markdown: string;
}

export function webhookBody(notification: Notification): WebhookBody {
  return {
    type: notification.kind,
    identity: notification.identity,
    app: notification.app,
    window: notification.window ?? null,
    summary: notification.summary ?? null,
    alerts: notification.alerts.map((alert) => ({ rule: alert.text, metric: alert.metric, op: alert.op, threshold: alert.threshold, actual: alert.actual, message: alert.message })),
    completeness: notification.completeness ?? null,
    failure: notification.failure ?? null,
    subject: notification.subject,
    markdown: notification.markdown,
  };
}

/** `sha256=<hex>` of the exact body bytes, keyed by WEBHOOK_SECRET (the GitHub convention). */
export function webhookSignature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export function classifyWebhookReply(reply: HttpReply, where: string): ChannelError | null {
  if (reply.status >= 200 && reply.status < 300) return null;
  const said = `${where} answered HTTP ${reply.status}${reply.text.trim() ? `: ${reply.text.replace(/\s+/g, ' ').trim().slice(0, 200)}` : ''}`;
  if (reply.status === 429) return retryable(said, 'NotifyRateLimited', reply.retryAfterMs);
  if (reply.status === 408 || reply.status >= 500) return retryable(said, 'NotifyUnavailable', reply.retryAfterMs);
  if (reply.status === 401 || reply.status === 403) return nonRetryable(`${said}; check WEBHOOK_SECRET and WEBHOOK_URL`, 'NotifyAuthError');
  return nonRetryable(`${said}; check WEBHOOK_URL`, 'NotifyRejected');
}

export function webhookChannel(settings: WebhookSettings): NotificationChannel {
  const where = `webhook ${describeUrl(settings.url)}`;
  const query = [...new URL(settings.url).searchParams.values()];
  return {
    name: 'webhook',
    // A query string may carry a token (many services authenticate that way), and replies may echo it.
    secrets: [...(query.length > 0 ? [settings.url, ...query] : []), ...(settings.secret ? [settings.secret] : [])],
    async send(notification: Notification, delivery: Delivery): Promise<string> {
      const body = JSON.stringify(webhookBody(notification));
      const headers: Record<string, string> = { 'idempotency-key': delivery.idempotencyKey };
      if (settings.secret) headers['x-difyscope-signature'] = webhookSignature(body, settings.secret);
      const failure = classifyWebhookReply(await postJson(settings.url, body, headers, where), where);
      if (failure) throw failure;
      return `posted to ${where} (Idempotency-Key ${delivery.idempotencyKey})`;
    },
  };
}
