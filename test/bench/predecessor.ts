import { DifyClient } from '../../activities/dify/client';
import type { WorkflowLog } from '../../common/dify-schemas';

/**
 * The predecessor's collection strategy, for comparison in the same harness: list the logs,
 * then for each run ask for its detail and, once that answered, its node executions — one
 * request at a time, no pooling across runs.
 */

export interface PredecessorOptions {
  baseUrl: string;
  apiToken: string;
  appId: string;
  console: { email: string; password: string };
  from: string;
  to: string;
  /** Runs to collect: a sample, since the strategy is slow by design. */
  runs: number;
}

export async function runPredecessor(options: PredecessorOptions): Promise<{ runs: number; requests: number; seconds: number }> {
  const client = new DifyClient({
    baseUrl: options.baseUrl,
    apiToken: options.apiToken,
    appId: options.appId,
    console: { kind: 'password', ...options.console },
    consoleAuth: 'auto',
    timeoutMs: 30_000,
    maxRetries: 4,
    concurrency: 1,
  });
  const started = Date.now();
  let requests = 0;
  try {
    const logs: WorkflowLog[] = [];
    for (let page = 1; logs.length < options.runs; page += 1) {
      const result = await client.logsPage({ page, limit: 100, from: options.from, to: options.to });
      requests += 1;
      logs.push(...result.items);
      if (!result.hasMore) break;
    }
    const sample = logs.slice(0, options.runs);
    for (const log of sample) {
      const runId = log.workflow_run?.id;
      if (!runId) continue;
      await client.runDetail(runId);
      await client.nodeExecutions(runId);
      requests += 2;
    }
    return { runs: sample.length, requests, seconds: (Date.now() - started) / 1000 };
  } finally {
    await client.close();
  }
}
