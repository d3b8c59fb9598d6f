import { Connection, Client } from '@temporalio/client';
import { DateTime } from 'luxon';
import { chatAppSettingsProblem } from '../activities/chat-app';
import { ChatApi, consoleMinute, isChatMode } from '../activities/dify/chat-api';
import { DifyClient } from '../activities/dify/client';
import { pickConsoleEra, unknownVersionError } from '../activities/dify/console-era';
import { isDifyError } from '../activities/dify/errors';
import { accessTokenOf } from '../activities/notify/dingtalk';
import { transportOptions } from '../activities/notify/email';
import { redactSecrets, type AppConfig, type Settings } from '../config/load';
import { scheduleDrift } from './schedules';
import { connectWith, describeConnection, explainConnectError } from '../config/temporal';
import { dataConverterFor } from '../worker/data-converter';

export interface CheckResult {
  ok: boolean;
  name: string;
  /** What was found, or how to fix it. */
  detail: string;
  /** A setting must change (bad input, exit 2), not a service that is down. */
  badInput?: boolean;
}

function message(error: unknown, settings: Settings): string {
  return redactSecrets(error instanceof Error ? error.message : String(error), settings.secrets).split('\n')[0] ?? '';
}

async function attempt(name: string, settings: Settings, work: () => Promise<string>): Promise<CheckResult> {
  try {
    return { ok: true, name, detail: await work() };
  } catch (error) {
    return { ok: false, name, detail: message(error, settings), ...(isDifyError(error) && error.kind === 'config' && { badInput: true }) };
  }
}

/**
 * The console login flavour and where it came from, decided the way the session decides it
 * (DIFY_CONSOLE_AUTH, else the server's version) and without a login: a version that cannot
 * be told stops here with the line asking for DIFY_CONSOLE_AUTH.
 */
function loginFlavour(app: AppConfig, version: string | null): string {
  const mode = app.dify.consoleAuth;
  if (mode !== 'auto') return `login flavour ${mode}, set by DIFY_CONSOLE_AUTH`;
  if (version === null) throw unknownVersionError('(no X-Version header on its answers and no GET /v1/ route)');
  return `login flavour ${pickConsoleEra(version)}, from Dify ${version}`;
}

/**
 * Dify checks for one app, in an order that never risks the console lockout: the service
 * token first, then at most one console login, then one node-execution request.
 */
async function checkApp(settings: Settings, app: AppConfig): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const dify = new DifyClient({ ...app.dify, maxRetries: 1, secrets: settings.secrets });
  try {
    const version = await dify.serverVersion().catch(() => null);
    let mode: string | null = null;
    results.push(
      await attempt(`${app.key}: Dify service API`, settings, async () => {
        const info = await dify.appInfo();
        if (info.mode && info.mode !== 'workflow' && !isChatMode(info.mode)) {
          throw new Error(`app "${info.name}" is a ${info.mode} app; Difyscope reads workflow and chat apps (chatflow, chatbot, agent) — check DIFY_API_TOKEN`);
        }
        mode = info.mode ?? null;
        return `app "${info.name}" (${info.mode ?? 'mode not reported'}) on Dify ${version ?? '(version hidden)'}`;
      }),
    );
    if (!results[0]?.ok) return results;
    if (isChatMode(mode)) return [...results, await checkChatConsole(settings, app, dify, mode)];
    if (!app.dify.console) {
      results.push({ ok: true, name: `${app.key}: Dify console`, detail: 'not configured: reports collect up to run details (set DIFY_CONSOLE_EMAIL/PASSWORD and DIFY_APP_ID for node executions)' });
      return results;
    }
    results.push(
      await attempt(`${app.key}: Dify console and node executions`, settings, async () => {
        const flavour = app.dify.console?.kind === 'token' ? 'pre-issued token' : `e-mail and password, ${loginFlavour(app, await dify.serverVersion())}`;
        const now = new Date();
        const page = await dify.logsPage({ page: 1, limit: 1, from: new Date(now.getTime() - 30 * 86_400_000).toISOString(), to: now.toISOString() });
        const runId = page.items[0]?.workflow_run?.id;
        if (!runId) return `${flavour}; no run in the last 30 days to read node executions of; console login not tried`;
        const nodes = await dify.nodeExecutions(runId);
        return `logged in (${flavour}); ${nodes.length} node executions read for run ${runId}`;
      }),
    );
    return results;
  } finally {
    await dify.close();
  }
}

/** A chat app is read through the console only: its settings must be there, and the listing must answer. */
async function checkChatConsole(settings: Settings, app: AppConfig, dify: DifyClient, mode: string): Promise<CheckResult> {
  const name = `${app.key}: Dify console and conversations`;
  const problem = chatAppSettingsProblem(app, mode);
  if (problem !== null) return { ok: false, name, detail: problem };
  return attempt(name, settings, async () => {
    const api = new ChatApi(dify, app.dify.appId);
    const zone = await api.accountTimezone();
    const since = consoleMinute(DateTime.now().minus({ days: 30 }), zone);
    const page = await api.conversationsPage(1, since);
    return `logged in (${app.dify.console?.kind === 'token' ? 'pre-issued token' : 'e-mail and password'}); ${page.total} conversations updated in the last 30 days (console time zone ${zone})`;
  });
}

async function checkTemporal(settings: Settings): Promise<CheckResult[]> {
  const address = settings.temporal.address ?? 'localhost:7233';
  let connection: Connection;
  try {
    connection = await connectWith(settings.temporal.connection, address, (options) => Connection.connect({ ...options, connectTimeout: '5 seconds' }));
  } catch (error) {
    return [{ ok: false, name: 'Temporal', detail: message(error, settings) }];
  }
  try {
    const results: CheckResult[] = [];
    results.push(
      await attempt('Temporal', settings, async () => {
        try {
          await connection.workflowService.describeNamespace({ namespace: settings.temporal.namespace });
        } catch (error) {
          const explained = await explainConnectError(error, settings.temporal.connection, address);
          throw new Error(/not ?found/i.test(String(error)) ? `namespace "${settings.temporal.namespace}" not found on ${address}; check TEMPORAL_NAMESPACE` : explained.message);
        }
        return describeConnection(settings.temporal.connection, address);
      }),
    );
    if (!results[0]?.ok) return results;
    // Schedule arguments are encrypted payloads when DIFYSCOPE_ENCRYPTION_KEY is set.
    const client = new Client({ connection, namespace: settings.temporal.namespace, dataConverter: dataConverterFor(settings) });
    results.push(
      await attempt('Schedules', settings, async () => {
        const drift = await scheduleDrift(client, settings);
        const off = drift.filter((entry) => entry.state !== 'in sync');
        if (off.length > 0) throw new Error(`${off.map((entry) => `${entry.id} ${entry.state}`).join(', ')}; run difyscope schedules apply`);
        return `${drift.length} in sync with the configuration`;
      }),
    );
    return results;
  } finally {
    await connection.close();
  }
}

async function checkChannels(settings: Settings): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const { email, dingtalk, feishu, wecom, webhook } = settings.channels;
  if (email) {
    results.push(
      await attempt('E-mail (SMTP)', settings, async () => {
        const { default: nodemailer } = await import('nodemailer');
        const transport = nodemailer.createTransport(transportOptions(email));
        try {
          await transport.verify();
        } finally {
          transport.close();
        }
        return `${email.host}:${email.port} (${email.security}) accepts ${email.user ? 'the login' : 'connections'}; ${email.to.length} recipient(s)`;
      }),
    );
  }
  if (dingtalk) {
    const url = new URL(dingtalk.webhook);
    const ok = url.protocol === 'https:' && accessTokenOf(dingtalk.webhook) !== undefined;
    results.push({
      ok,
      name: 'DingTalk',
      detail: ok ? `${url.host}${url.pathname} with access_token${dingtalk.secret ? ', signed' : ', unsigned (set DINGTALK_SECRET if the robot uses signing)'}` : 'DINGTALK_WEBHOOK must be the https robot URL with its access_token=… parameter',
    });
  }
  if (feishu) {
    const url = new URL(feishu.webhook);
    const ok = url.protocol === 'https:' && /\/hook\/[^/]+$/.test(url.pathname);
    results.push({ ok, name: 'Feishu/Lark', detail: ok ? `${url.host} bot${feishu.secret ? ', signed' : ', unsigned (set FEISHU_SECRET if the bot verifies signatures)'}` : 'FEISHU_WEBHOOK must be the https bot URL ending in /open-apis/bot/v2/hook/<token>' });
  }
  if (wecom) {
    const url = new URL(wecom.webhook);
    const ok = url.protocol === 'https:' && url.searchParams.has('key');
    results.push({ ok, name: 'WeCom', detail: ok ? `${url.host}${url.pathname} with key` : 'WECOM_WEBHOOK must be the https robot URL with its key=… parameter' });
  }
  if (webhook) {
    const url = new URL(webhook.url);
    results.push({ ok: true, name: 'Webhook', detail: `${url.protocol}//${url.host}${url.pathname}${webhook.secret ? ' (signed)' : ''}` });
  }
  return results;
}

/** Every check, one result each; nothing is changed anywhere. */
export async function runChecks(settings: Settings): Promise<CheckResult[]> {
  const results: CheckResult[] = [{ ok: true, name: 'Configuration', detail: `${settings.apps.length} app(s): ${settings.apps.map((app) => app.key).join(', ')}` }];
  for (const app of settings.apps) results.push(...(await checkApp(settings, app)));
  results.push(...(await checkTemporal(settings)));
  results.push(...(await checkChannels(settings)));
  return results;
}
