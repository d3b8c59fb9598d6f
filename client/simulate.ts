import { DateTime } from 'luxon';
import { generateDemoStore, generateRuns } from '../simulator/generate';
import { startDifyServer, PROFILES, type EraProfileName } from '../simulator/dify-server';
import { generateChatApp, type ChatAppSpec } from '../simulator/generate-chat';
import { UsageError } from './errors';

export const SIMULATED_APP_ID = '5b0c7a6e-8d1f-4c53-9a0e-2f6b3c4d5e60';
export const SIMULATED_TOKEN = 'app-demo0000000000000000';
export const SIMULATED_CONSOLE = { email: 'demo@difyscope.local', password: 'DemoPassw0rd' };

/** The chat apps beside the workflow app: one of each chat mode, read with the same console login. */
export const SIMULATED_CHAT_APPS: readonly ChatAppSpec[] = [
  { id: '5b0c7a6e-8d1f-4c53-9a0e-2f6b3c4d5e61', apiToken: 'app-demochatflow000000000', name: 'Helpdesk chatflow (simulated)', mode: 'advanced-chat' },
  { id: '5b0c7a6e-8d1f-4c53-9a0e-2f6b3c4d5e62', apiToken: 'app-demochatbot0000000000', name: 'FAQ chatbot (simulated)', mode: 'chat' },
  { id: '5b0c7a6e-8d1f-4c53-9a0e-2f6b3c4d5e63', apiToken: 'app-demoagent00000000000', name: 'Ops agent (simulated)', mode: 'agent-chat' },
];

export interface SimulateOptions {
  port: number;
  days: number;
  runsPerDay: number;
  timezone: string;
  profile: string;
}

/**
 * A simulated Dify serving generated runs of the last `days` local days, for trying every
 * command without a Dify instance. Prints the settings to put in `.env`, then serves until
 * Ctrl-C.
 */
export async function runSimulator(options: SimulateOptions, log: (line: string) => void): Promise<void> {
  if (!(options.profile in PROFILES)) throw new UsageError(`--profile: "${options.profile}" is not valid; use one of ${Object.keys(PROFILES).join(', ')}`);
  if (!Number.isInteger(options.days) || options.days < 1 || options.days > 400) throw new UsageError('--days: use a whole number from 1 to 400');
  if (!Number.isInteger(options.runsPerDay) || options.runsPerDay < 1) throw new UsageError('--runs-per-day: use a whole number of at least 1');
  const first = DateTime.now().setZone(options.timezone).startOf('day').minus({ days: options.days }).toISODate() ?? '';
  const identity = { timezone: options.timezone, seed: 42, appId: SIMULATED_APP_ID, apiToken: SIMULATED_TOKEN, appName: 'Support bot (simulated)', consoleUser: SIMULATED_CONSOLE };
  const store = generateDemoStore({ ...identity, date: first, runs: 1 });
  const app = store.apps[0];
  if (!app) throw new Error('the generator produced no app');
  app.logs = generateRuns({ ...identity, date: first, days: options.days, runs: options.runsPerDay * options.days });
  const conversationsPerDay = Math.max(1, Math.round(options.runsPerDay / 8));
  for (const spec of SIMULATED_CHAT_APPS) store.apps.push(generateChatApp(spec, { date: first, days: options.days, timezone: options.timezone, conversationsPerDay }));
  const server = await startDifyServer({ store, profile: options.profile as EraProfileName, port: options.port, host: '127.0.0.1' });
  log(`Simulated Dify (${options.profile}, server version ${server.profile.serverVersion}) on ${server.url}: ${app.logs.length} runs from ${first} to yesterday (${options.timezone}).`);
  log('Settings for .env:');
  for (const line of [
    `DIFY_BASE_URL=${server.url}`,
    `DIFY_API_TOKEN=${SIMULATED_TOKEN}`,
    `DIFY_APP_ID=${SIMULATED_APP_ID}`,
    `DIFY_CONSOLE_EMAIL=${SIMULATED_CONSOLE.email}`,
    `DIFY_CONSOLE_PASSWORD=${SIMULATED_CONSOLE.password}`,
    `REPORT_TIMEZONE=${options.timezone}`,
  ]) {
    log(`  ${line}`);
  }
  log('Chat apps on the same server (same console login; use one app at a time, or several in a DIFYSCOPE_CONFIG file):');
  for (const spec of SIMULATED_CHAT_APPS) {
    const messages = store.apps.find((candidate) => candidate.id === spec.id)?.conversations?.reduce((sum, conversation) => sum + conversation.messages.length, 0) ?? 0;
    log(`  ${spec.mode} "${spec.name}" (${messages} messages): DIFY_API_TOKEN=${spec.apiToken} DIFY_APP_ID=${spec.id}`);
  }
  log('Ctrl-C stops it.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}
