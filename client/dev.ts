import type { Settings } from '../config/load';
import { installLogger } from '../worker/logger';
import { connectWorker, createWorker } from '../worker/worker';
import { connectClient } from './connection';
import { startDevServer, type DevServer } from './dev-server';
import { startLocalCodecServer } from './local-codec-server';
import { dataConverterFor } from '../worker/data-converter';
import { applySchedules } from './schedules';

/**
 * The embedded default against a real Dify: a local Temporal dev server persisted under
 * `.difyscope/` (unless TEMPORAL_ADDRESS is set), the worker, and the schedules applied.
 * Ctrl-C stops all of it.
 */
export async function runDev(settings: Settings, stateDir: string, log: (line: string) => void): Promise<void> {
  dataConverterFor(settings);
  installLogger(settings);
  const codecServer = await startLocalCodecServer(settings, log);
  let devServer: DevServer | undefined;
  if (!settings.temporal.address) devServer = await startDevServer(stateDir, log, { codecEndpoint: codecServer?.url });
  const address = settings.temporal.address ?? devServer?.address ?? 'localhost:7233';
  const connection = await connectWorker(settings, address);
  const client = await connectClient(settings, address);
  try {
    for (const result of await applySchedules(client, settings, { prune: false })) log(`schedule ${result.outcome}: ${result.id}`);
    const worker = await createWorker({ settings, connection });
    log(`Worker running on ${address}, task queue ${settings.temporal.taskQueue}.${devServer ? ` Web UI: ${devServer.uiUrl}` : ''} Ctrl-C stops.`);
    await worker.run();
  } finally {
    await client.connection.close();
    await connection.close();
    await devServer?.stop();
    await codecServer?.close();
    log('Stopped.');
  }
}
