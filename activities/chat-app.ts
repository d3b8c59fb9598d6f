import type { Collection, ReportPlan } from '../common/contracts';
import { ConfigError, type AppConfig } from '../config/load';
import { collectChatMessages } from './collect-chat';
import { isChatMode } from './dify/chat-api';
import type { DifyClient } from './dify/client';

/** The mode from `GET /v1/info` when it names a chat app; null for workflow apps (and builds that do not say). */
export async function chatAppMode(dify: DifyClient): Promise<string | null> {
  const info = await dify.appInfo();
  return isChatMode(info.mode) ? (info.mode ?? null) : null;
}

/**
 * What a chat app needs before anything is fetched: the service API cannot list a chat app's
 * conversations (it only sees one `user` at a time), so the console must be configured.
 */
export function chatAppSettingsProblem(app: AppConfig, mode: string): string | null {
  const missing = [...(app.dify.console ? [] : ['DIFY_CONSOLE_EMAIL and DIFY_CONSOLE_PASSWORD (or DIFY_CONSOLE_TOKEN)']), ...(app.dify.appId ? [] : ['DIFY_APP_ID'])];
  if (missing.length === 0) return null;
  return `app "${app.key}" is ${/^[aeiou]/.test(mode) ? 'an' : 'a'} ${mode} app, whose conversations Dify lists only in its console API: set ${missing.join(' and ')}`;
}

export async function collectChatApp(dify: DifyClient, app: AppConfig, outputDir: string, plan: ReportPlan, mode: string): Promise<Collection> {
  const problem = chatAppSettingsProblem(app, mode);
  if (problem !== null) throw new ConfigError(problem);
  return collectChatMessages(dify, app.dify.appId, outputDir, plan, mode, app.dify.concurrency);
}
