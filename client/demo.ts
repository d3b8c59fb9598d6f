import path from 'node:path';
import { DateTime } from 'luxon';
import { loadSettings } from '../config/load';
import { generateDemoStore } from '../simulator/generate';
import { startDifyServer } from '../simulator/dify-server';
import { installLogger } from '../worker/logger';
import { connectWorker, createWorker } from '../worker/worker';
import { connectClient } from './connection';
import { SIMULATED_APP_ID, SIMULATED_CONSOLE, SIMULATED_TOKEN } from './simulate';
import { startDevServer, type DevServer } from './dev-server';
import { startLocalCodecServer } from './local-codec-server';
import { dataConverterFor } from '../worker/data-converter';
import { followReport, formatSummary, prepareReport, startReport } from './report';

const DEMO_TIMEZONE = 'Asia/Shanghai';

export interface DemoOptions {
  keepRunning: boolean;
  stateDir: string;
  outputDir: string;
  log: (line: string) => void;
}

/**
 * Everything at once without a Dify: a local Temporal dev server, a simulated Dify serving a
 * generated day of runs, the worker, and one report of that day.
 */
export async function runDemo({ keepRunning, stateDir, outputDir, log }: DemoOptions): Promise<string> {
  // A bad key stops the demo before it starts anything that would need stopping.
  dataConverterFor({ encryptionKey: process.env.DIFYSCOPE_ENCRYPTION_KEY?.trim() || undefined });
  const date = DateTime.now().setZone(DEMO_TIMEZONE).minus({ days: 1 }).toISODate() ?? '2025-03-10';
  const store = generateDemoStore({ date, timezone: DEMO_TIMEZONE, seed: 42, appId: SIMULATED_APP_ID, apiToken: SIMULATED_TOKEN, appName: 'Support bot (demo)', consoleUser: SIMULATED_CONSOLE });
  const dify = await startDifyServer({ store, profile: 'cookie-base64' });
  log(`Simulated Dify on ${dify.url} serving ${store.apps[0]?.logs.length ?? 0} runs of ${date} (${DEMO_TIMEZONE})`);

  const settings = loadSettings({
    DIFY_BASE_URL: dify.url,
    DIFY_API_TOKEN: SIMULATED_TOKEN,
    DIFY_APP_ID: SIMULATED_APP_ID,
    DIFY_CONSOLE_EMAIL: SIMULATED_CONSOLE.email,
    DIFY_CONSOLE_PASSWORD: SIMULATED_CONSOLE.password,
    APP_KEY: 'demo',
    APP_NAME: 'Support bot (demo)',
    REPORT_TIMEZONE: DEMO_TIMEZONE,
    OUTPUT_DIR: outputDir,
    // A cluster named by TEMPORAL_ADDRESS is reached as configured; the embedded server speaks plain text.
    ...(process.env.TEMPORAL_ADDRESS ? Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('TEMPORAL_'))) : { TEMPORAL_TLS: 'false' }),
    TEMPORAL_NAMESPACE: process.env.TEMPORAL_NAMESPACE,
    TEMPORAL_TASK_QUEUE: process.env.TEMPORAL_TASK_QUEUE ?? 'difyscope-demo',
    // The demo encrypts like production would when a key is set, and serves the UI its codec.
    DIFYSCOPE_ENCRYPTION_KEY: process.env.DIFYSCOPE_ENCRYPTION_KEY,
    CODEC_SERVER_PORT: process.env.CODEC_SERVER_PORT,
    CODEC_SERVER_CORS_ORIGINS: process.env.CODEC_SERVER_CORS_ORIGINS,
    CODEC_SERVER_TOKEN: process.env.CODEC_SERVER_TOKEN,
  });
  // The demo narrates on stdout; the worker only speaks up for warnings and errors.
  installLogger({ ...settings, logFormat: 'pretty' }, { minimumSdkLevel: 'WARN' });
  const codecServer = await startLocalCodecServer(settings, log);
  let devServer: DevServer | undefined;
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) devServer = await startDevServer(stateDir, log, { codecEndpoint: codecServer?.url });
  const temporalAddress = address ?? devServer?.address ?? 'localhost:7233';

  const connection = await connectWorker(settings, temporalAddress);
  const worker = await createWorker({ settings, connection });
  const running = worker.run();
  try {
    const client = await connectClient(settings, temporalAddress);
    const prepared = prepareReport(settings, { from: date, to: date });
    const handle = await startReport(client, settings, prepared);
    log(`Started workflow ${prepared.workflowId}`);
    const summary = await followReport(handle, log, process.stdout.isTTY === true);
    for (const line of formatSummary(summary)) log(line);
    log(`Open the reports: ${path.relative(process.cwd(), summary.folder) || summary.folder}`);
    if (devServer) log(`Temporal Web UI: ${devServer.uiUrl}/namespaces/${settings.temporal.namespace}/workflows (frontend ${temporalAddress})`);
    if (keepRunning) {
      log('Demo keeps running so you can browse the Web UI; Ctrl-C stops it.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
    await client.connection.close();
    return summary.folder;
  } finally {
    // Ctrl-C already reached the worker through the SDK's own signal handling.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await connection.close();
    await devServer?.stop();
    await codecServer?.close();
    await dify.close();
  }
}
