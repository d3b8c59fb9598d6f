import type { ChannelSettings } from '../../config/load';
import { NOTIFY_CHANNELS, type NotifyChannel } from '../../config/schema';
import type { NotificationChannel } from './channel';
import { dingtalkChannel } from './dingtalk';
import { emailChannel } from './email';
import { webhookChannel } from './webhook';

/** Every channel Difyscope can send through; adding one is a line here and a file beside it. */
const FACTORIES: { [K in NotifyChannel]: (settings: ChannelSettings) => NotificationChannel | undefined } = {
  email: (settings) => (settings.email ? emailChannel(settings.email) : undefined),
  dingtalk: (settings) => (settings.dingtalk ? dingtalkChannel(settings.dingtalk) : undefined),
  webhook: (settings) => (settings.webhook ? webhookChannel(settings.webhook) : undefined),
};

/** The variables that configure each channel, for "not configured" messages. */
export const CHANNEL_VARIABLES: Record<NotifyChannel, string> = {
  email: 'SMTP_HOST, SMTP_FROM, SMTP_TO',
  dingtalk: 'DINGTALK_WEBHOOK',
  webhook: 'WEBHOOK_URL',
};

export function createChannel(name: NotifyChannel, settings: ChannelSettings): NotificationChannel | undefined {
  return FACTORIES[name](settings);
}

/** The channels with settings, in the canonical order. */
export function configuredChannels(settings: ChannelSettings): NotificationChannel[] {
  return NOTIFY_CHANNELS.map((name) => createChannel(name, settings)).filter((channel): channel is NotificationChannel => channel !== undefined);
}
