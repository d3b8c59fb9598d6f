import { CHANNEL_VARIABLES, hasTarget, type ChannelSettings } from '../../config/load';
import { NOTIFY_CHANNELS, type NotifyChannel } from '../../common/report-options';
import type { NotificationChannel } from './channel';
import { dingtalkChannel } from './dingtalk';
import { emailChannel } from './email';
import { feishuChannel } from './feishu';
import { webhookChannel } from './webhook';
import { wecomChannel } from './wecom';

export { CHANNEL_VARIABLES };

/** Every channel Difyscope can send through; adding one is a line here and a file beside it. */
const FACTORIES: { [K in NotifyChannel]: (settings: ChannelSettings) => NotificationChannel | undefined } = {
  email: (settings) => (settings.email ? emailChannel(settings.email) : undefined),
  dingtalk: (settings) => (settings.dingtalk ? dingtalkChannel(settings.dingtalk) : undefined),
  feishu: (settings) => (settings.feishu ? feishuChannel(settings.feishu) : undefined),
  wecom: (settings) => (settings.wecom ? wecomChannel(settings.wecom) : undefined),
  webhook: (settings) => (settings.webhook ? webhookChannel(settings.webhook) : undefined),
};

export function createChannel(name: NotifyChannel, settings: ChannelSettings): NotificationChannel | undefined {
  return hasTarget(settings, name) ? FACTORIES[name](settings) : undefined;
}

/** The channels with settings, in the canonical order. */
export function configuredChannels(settings: ChannelSettings): NotificationChannel[] {
  return NOTIFY_CHANNELS.map((name) => createChannel(name, settings)).filter((channel): channel is NotificationChannel => channel !== undefined);
}
