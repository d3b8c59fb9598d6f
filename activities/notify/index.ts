import { countNotification } from '../metrics';
import type { ObjectStore } from '../store';
import { ApplicationFailure } from '@temporalio/common';
import { findApp, redactSecrets, type ChannelSettings, type Settings } from '../../config/load';
import type { NotifyChannel } from '../../common/report-options';
import { AlertRuleError, evaluateAlerts } from '../../reports/alerts';
import { toApplicationFailure } from '../failures';
import { ChannelError, type NotificationChannel } from './channel';
import { LedgerError, messageIdFor, NotificationLedger } from './ledger';
import { buildNotification, type Notification, type NotifyRequest } from './message';
import { CHANNEL_VARIABLES, configuredChannels, createChannel } from './registry';
import { NO_EXTRAS, readReportExtras } from './report-extras';

export type { NotifyRequest, Notification } from './message';
export type { NotificationChannel, Delivery } from './channel';
export { ChannelError } from './channel';

/**
 * Delivers a report's notifications, exactly once per message and channel: the ledger under
 * `<outputDir>/.notifications/` is consulted before and written right after each send, so a
 * retried activity, or one re-run after the worker died, skips what was already accepted.
 */

export interface DeliveryResult {
  channel: NotifyChannel;
  status: 'sent' | 'already-sent' | 'skipped';
  detail: string;
}

export interface DeliverOptions {
  /** The store shared by the workers, holding the ledger; unset: the ledger is under OUTPUT_DIR. */
  store?: ObjectStore;
  channels?: NotifyChannel[];
  /** Test hook: runs after the ledger write, before returning (a throw here plays a dying worker). */
  afterSend?: (channel: NotifyChannel) => Promise<void>;
}

export interface TestResult {
  channel: NotifyChannel;
  ok: boolean;
  detail: string;
}

/** Short values (e.g. a query of `a=1`) would blank unrelated text; config applies the same floor. */
const secretsOf = (settings: Settings, channel?: NotificationChannel): string[] => [...settings.secrets, ...(channel?.secrets ?? [])].filter((secret) => secret.length >= 4);

function toFailure(error: unknown, channel: NotifyChannel | undefined, secrets: readonly string[]): ApplicationFailure {
  const prefix = channel ? `${channel}: ` : '';
  if (error instanceof ChannelError) {
    return ApplicationFailure.create({
      message: prefix + redactSecrets(error.message, secrets),
      type: error.type,
      nonRetryable: !error.retryable,
      nextRetryDelay: error.retryAfterMs !== undefined ? `${error.retryAfterMs} ms` : undefined,
    });
  }
  if (error instanceof AlertRuleError) return ApplicationFailure.nonRetryable(redactSecrets(error.message, secrets), 'ConfigError');
  if (error instanceof LedgerError) return ApplicationFailure.nonRetryable(prefix + redactSecrets(error.message, secrets), 'NotifyLedgerError');
  if (error instanceof TypeError && channel === undefined) return ApplicationFailure.nonRetryable(redactSecrets(error.message, secrets), 'InvalidRequest');
  const failure = toApplicationFailure(error, secrets);
  return prefix === '' ? failure : ApplicationFailure.create({ message: prefix + failure.message, type: failure.type ?? undefined, nonRetryable: failure.nonRetryable ?? undefined, nextRetryDelay: failure.nextRetryDelay ?? undefined });
}

/**
 * One failure for the activity. With several failing channels a retryable one wins, so a
 * channel that will recover (rate limit) still gets its retry while a misconfigured one waits;
 * once only final failures remain, the next attempt fails for good.
 */
function combine(failures: { channel: NotifyChannel; failure: ApplicationFailure }[]): ApplicationFailure {
  const first = failures.find((entry) => !entry.failure.nonRetryable) ?? failures[0];
  if (!first) throw new Error('combine() needs at least one failure');
  if (failures.length === 1) return first.failure;
  return ApplicationFailure.create({
    message: failures.map((entry) => entry.failure.message).join(' | '),
    type: first.failure.type ?? undefined,
    nonRetryable: first.failure.nonRetryable ?? undefined,
    nextRetryDelay: first.failure.nonRetryable ? undefined : (first.failure.nextRetryDelay ?? undefined),
  });
}

async function prepare(settings: Settings, request: NotifyRequest): Promise<{ notification: Notification; channels: NotifyChannel[]; targets: ChannelSettings }> {
  const app = findApp(settings, request.appKey);
  const summary = request.kind === 'report' ? request.summary : undefined;
  const alerts = summary ? evaluateAlerts(app.notify.alertRules, summary) : [];
  const extras = summary ? await readReportExtras(summary.folder) : NO_EXTRAS;
  const notification = buildNotification(request, app.name, alerts, extras, (text) => redactSecrets(text, secretsOf(settings)), app.report.locale);
  return { notification, channels: app.notify.channels, targets: app.notify.targets };
}

export async function deliverNotifications(settings: Settings, request: NotifyRequest, options: DeliverOptions = {}): Promise<DeliveryResult[]> {
  let prepared: Awaited<ReturnType<typeof prepare>>;
  try {
    prepared = await prepare(settings, request);
  } catch (error) {
    throw toFailure(error, undefined, secretsOf(settings));
  }
  const { notification } = prepared;
  const ledger = new NotificationLedger(settings.outputDir, options.store);
  const results: DeliveryResult[] = [];
  const failures: { channel: NotifyChannel; failure: ApplicationFailure }[] = [];

  for (const name of [...new Set(options.channels ?? prepared.channels)]) {
    const channel = createChannel(name, prepared.targets);
    if (!channel) {
      results.push({ channel: name, status: 'skipped', detail: `not configured; set ${CHANNEL_VARIABLES[name]}` });
      countNotification(name, 'skipped');
      continue;
    }
    const secrets = secretsOf(settings, channel);
    let detail: string;
    try {
      const previous = await ledger.sent(notification.key, name);
      if (previous) {
        results.push({ channel: name, status: 'already-sent', detail: `already sent at ${previous.sentAt} (${previous.messageId}, attempt ${previous.attempt})` });
        countNotification(name, 'already-sent');
        continue;
      }
      const intent = await ledger.intent(notification.key, name);
      const attempt = (intent?.attempt ?? 0) + 1;
      const messageId = intent?.messageId ?? messageIdFor(notification.key, name);
      const base = { channel: name, identity: notification.identity, key: notification.key, messageId, attempt };
      await ledger.recordIntent({ ...base, startedAt: new Date().toISOString() });
      detail = redactSecrets(await channel.send(notification, { messageId, idempotencyKey: `${notification.key}:${name}` }), secrets);
      await ledger.recordSent({ ...base, sentAt: new Date().toISOString(), detail }).catch((error: unknown) => {
        // Accepted but not recorded: a retry will send once more; say so rather than hide it.
        throw new LedgerError(`the message was accepted but the ledger could not be written (${error instanceof Error ? error.message : String(error)}); a retry sends it again`);
      });
    } catch (error) {
      failures.push({ channel: name, failure: toFailure(error, name, secrets) });
      countNotification(name, 'failed');
      continue;
    }
    // Outside the try: a throw here stands for the worker dying after the ledger write.
    if (options.afterSend) await options.afterSend(name);
    results.push({ channel: name, status: 'sent', detail });
    countNotification(name, 'sent');
  }
  if (failures.length > 0) throw combine(failures);
  return results;
}

/**
 * A test message through every configured channel, for `difyscope notify test`. Never throws
 * and bypasses the ledger: each call is meant to send.
 */
export async function sendTestMessages(settings: Settings): Promise<TestResult[]> {
  const app = settings.apps[0];
  const identity = `test/${app?.key ?? 'difyscope'}/${new Date().toISOString()}`;
  const notification = buildNotification({ identity, kind: 'test', appKey: app?.key ?? 'difyscope' }, app?.name ?? 'Difyscope', [], NO_EXTRAS, (text) => redactSecrets(text, secretsOf(settings)), app?.report.locale);
  const results: TestResult[] = [];
  for (const channel of configuredChannels(app?.notify.targets ?? settings.channels)) {
    const secrets = secretsOf(settings, channel);
    try {
      const detail = await channel.send(notification, { messageId: messageIdFor(identity, channel.name), idempotencyKey: `${identity}:${channel.name}` });
      results.push({ channel: channel.name, ok: true, detail: redactSecrets(detail, secrets) });
    } catch (error) {
      results.push({ channel: channel.name, ok: false, detail: toFailure(error, undefined, secrets).message });
    }
  }
  return results;
}
