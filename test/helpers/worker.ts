import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkerOptions } from '@temporalio/worker';
import { DifyClient } from '../../activities/dify/client';
import type { Settings } from '../../config/load';
import { createWorker, type WorkerConfig } from '../../worker/worker';
import { workflowBundle } from './temporal';

/** Production Dify clients, with retry delays short enough for tests. */
export const fastRetryDifyClient: NonNullable<WorkerConfig['createDifyClient']> = (app, secrets) =>
  new DifyClient({ ...app.dify, secrets: [...secrets], retryBaseDelayMs: 10 });

export interface RunningWorker {
  worker: Worker;
  /** Shuts the worker down and waits until it has stopped. */
  stop(): Promise<void>;
}

/** The real worker with the real activities, on the test server, running until `stop()`. */
export async function startTestWorker(
  env: TestWorkflowEnvironment,
  settings: Settings,
  options: { createDifyClient?: WorkerConfig['createDifyClient']; workflowBundle?: WorkerOptions['workflowBundle']; connection?: WorkerConfig['connection'] } = {},
): Promise<RunningWorker> {
  const worker = await createWorker({
    settings,
    connection: options.connection ?? env.nativeConnection,
    workflowBundle: options.workflowBundle ?? (await workflowBundle()),
    createDifyClient: options.createDifyClient ?? fastRetryDifyClient,
  });
  const running = worker.run();
  return {
    worker,
    stop: async () => {
      worker.shutdown();
      await running;
    },
  };
}
