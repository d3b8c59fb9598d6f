import { existsSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Settings } from '../config/load';
import { createActivities, type ActivityDependencies } from '../activities';
import { dataConverterFor } from './data-converter';
import { connectWith } from '../config/temporal';

export interface WorkerConfig {
  settings: Settings;
  connection: NativeConnection;
  /**
   * Prebuilt bundle in production (see Dockerfile); the workflows path in development. With
   * encryption on, build it with `failureConverterPath: FAILURE_CONVERTER_PATH`, or workflow
   * failure messages stay readable in the history.
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
  createDifyClient?: ActivityDependencies['createDifyClient'];
  taskQueue?: string;
}

export function workflowsPath(): string {
  return require.resolve('../workflows');
}

/**
 * A bundle prebuilt by `scripts/build-bundle.ts`: WORKFLOW_BUNDLE_PATH, else the one `npm run
 * build` writes beside the compiled code when this is the compiled code (dist/worker/worker.js),
 * so a production worker never runs webpack (seconds of CPU and a few hundred MB at start).
 */
export function prebuiltBundle(): WorkerOptions['workflowBundle'] | undefined {
  const codePath = process.env.WORKFLOW_BUNDLE_PATH;
  if (codePath) return { codePath };
  const beside = path.join(__dirname, '..', 'workflow-bundle.js');
  return __filename.endsWith('.js') && existsSync(beside) ? { codePath: beside } : undefined;
}

/** One worker serves every configured app on one task queue. */
export async function createWorker({ settings, connection, workflowBundle, createDifyClient, taskQueue }: WorkerConfig): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: settings.temporal.namespace,
    taskQueue: taskQueue ?? settings.temporal.taskQueue,
    ...((workflowBundle ?? prebuiltBundle()) ? { workflowBundle: workflowBundle ?? prebuiltBundle() } : { workflowsPath: workflowsPath() }),
    activities: createActivities({ settings, createDifyClient }),
    dataConverter: dataConverterFor(settings),
    // Bounded so one large window cannot starve the others of Dify connections.
    maxConcurrentActivityTaskExecutions: 8,
    // Heartbeat details are the live counts `report` and `status` show; the SDK's default
    // would pass them on to the server once a minute.
    maxHeartbeatThrottleInterval: '2 seconds',
    // On shutdown, activities still running after the grace time are cancelled (their HTTP
    // requests and waits end at once); the force time bounds the whole stop even so.
    shutdownGraceTime: '20 seconds',
    shutdownForceTime: '40 seconds',
  });
}

export async function connectWorker(settings: Settings, address?: string): Promise<NativeConnection> {
  return connectWith(settings.temporal.connection, address, (options) => NativeConnection.connect(options));
}
