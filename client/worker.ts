import type { Settings } from '../config/load';
import { describeConnection } from '../config/temporal';
import { installLogger } from '../worker/logger';
import { connectWorker, createWorker } from '../worker/worker';
import { dataConverterFor } from '../worker/data-converter';
import { freeLoopbackPort, startMetricsServer } from '../worker/metrics-server';

/**
 * Runs the worker until SIGINT/SIGTERM. The SDK's runtime turns those signals into a graceful
 * shutdown: running activities get the grace time to finish, the rest are handed back.
 */
export async function runWorkerCommand(settings: Settings, log: (line: string) => void): Promise<void> {
  // A bad DIFYSCOPE_ENCRYPTION_KEY stops the worker before anything starts: once the logger's
  // runtime is installed, only a closed connection would let the process exit.
  dataConverterFor(settings);
  const sdkMetricsPort = settings.metricsAddress ? await freeLoopbackPort() : undefined;
  installLogger(settings, { sdkMetricsPort });
  const metrics = settings.metricsAddress ? await startMetricsServer(settings.metricsAddress, sdkMetricsPort) : undefined;
  if (metrics) log(`Metrics for Prometheus on ${metrics.url}`);
  const connection = await connectWorker(settings).catch(async (error: unknown) => {
    await metrics?.close();
    throw error;
  });
  try {
    const worker = await createWorker({ settings, connection });
    log(`Worker polling task queue "${settings.temporal.taskQueue}" on ${describeConnection(settings.temporal.connection)}; Ctrl-C stops it.`);
    await worker.run();
    log('Worker stopped.');
  } finally {
    await connection.close();
    await metrics?.close();
  }
}
