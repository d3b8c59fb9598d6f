import { iterateRuns } from '../../simulator/generate';
import { startDifyServer } from '../../simulator/dify-server';
import type { DifyStore, SimulatedLog } from '../../simulator/store';

/**
 * The simulated Dify of the benchmark, in its own process so its store and request handling
 * weigh neither on the worker's memory figure nor on the worker's event loop.
 * Started by main.ts with the workload in BENCH_DIFY (JSON); talks over the IPC channel.
 */

export interface DifyWorkload {
  runs: number;
  days: number;
  date: string;
  timezone: string;
  latencyMs: number;
  appId: string;
  apiToken: string;
  console: { email: string; password: string };
}

export type DifyProcessMessage = { kind: 'ready'; url: string } | { kind: 'requests'; total: number; byKind: Record<string, number> };

function requestKind(path: string): string {
  if (path === '/v1/workflows/logs') return 'log pages';
  if (path.startsWith('/v1/workflows/run/')) return 'run details';
  if (path.endsWith('/node-executions')) return 'node executions';
  return 'other';
}

async function main(): Promise<void> {
  const workload = JSON.parse(process.env.BENCH_DIFY ?? '{}') as DifyWorkload;
  const logs: SimulatedLog[] = [...iterateRuns({ date: workload.date, timezone: workload.timezone, runs: workload.runs, days: workload.days, appId: workload.appId, apiToken: workload.apiToken, consoleUser: workload.console })];
  const store: DifyStore = {
    apps: [{ id: workload.appId, name: 'Bench app', mode: 'workflow', apiToken: workload.apiToken, status: 'normal', enableApi: true, logs }],
    consoleUsers: [{ id: '66666666-0000-4000-8000-00000000be0c', name: 'Bench', ...workload.console }],
  };
  const server = await startDifyServer({ store, profile: 'cookie', faults: { latencyMs: workload.latencyMs } });
  process.on('message', (message: unknown) => {
    if (message === 'requests') {
      const requests = server.requests;
      const byKind: Record<string, number> = {};
      for (const request of requests) byKind[requestKind(request.path)] = (byKind[requestKind(request.path)] ?? 0) + 1;
      process.send?.({ kind: 'requests', total: requests.length, byKind } satisfies DifyProcessMessage);
    } else if (message === 'reset') {
      // Recorded requests are the server's only growing state; counted, they can go.
      server.requests.splice(0, server.requests.length);
    } else if (message === 'stop') {
      void server.close().then(() => process.exit(0));
    }
  });
  process.send?.({ kind: 'ready', url: server.url } satisfies DifyProcessMessage);
}

void main();
