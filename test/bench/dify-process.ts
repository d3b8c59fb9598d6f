import { iterateRuns } from '../../simulator/generate';
import { startDifyServer } from '../../simulator/dify-server';
import type { DifyStore, SimulatedLog } from '../../simulator/store';

/**
 * The simulated Dify of the benchmark, in its own process so its store and request handling
 * weigh neither on the worker's memory and CPU figures nor on the worker's event loop.
 * Lean: runs are indexed by id, and requests are counted by kind and then dropped instead of
 * piling up. It reports its own CPU time, so a saturated simulator shows in the figures.
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
  /** Whether users attach files: with them, every run's detail is needed (sys.files). */
  attachments: boolean;
}

export type DifyProcessMessage =
  | { kind: 'ready'; url: string; generatingCpuSeconds: number }
  | { kind: 'requests'; total: number; byKind: Record<string, number>; cpuSeconds: number; peakRssBytes: number; arrivals: Arrivals };

/**
 * When requests arrived: the first and last (epoch ms), and the pauses between consecutive
 * arrivals of at least GAP_MS. With every slot busy a request arrives every few ms; a pause
 * means the collection had nothing in flight for that long (between steps, shards, chunks).
 */
export interface Arrivals {
  /** GAP_MS. */
  thresholdMs: number;
  first: number;
  last: number;
  gaps: number;
  gapMs: number;
  /** The longest pauses, longest first: [at (epoch ms), length (ms)]. */
  longest: [number, number][];
}

const GAP_MS = 50;

function requestKind(path: string): string {
  if (path === '/v1/workflows/logs') return 'log pages';
  if (path.startsWith('/v1/workflows/run/')) return 'run details';
  if (path.endsWith('/node-executions')) return 'node executions';
  return 'other';
}

const cpuSeconds = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

async function main(): Promise<void> {
  const workload = JSON.parse(process.env.BENCH_DIFY ?? '{}') as DifyWorkload;
  const logs: SimulatedLog[] = [
    ...iterateRuns({ date: workload.date, timezone: workload.timezone, runs: workload.runs, days: workload.days, appId: workload.appId, apiToken: workload.apiToken, consoleUser: workload.console, attachments: workload.attachments }),
  ];
  const store: DifyStore = {
    apps: [{ id: workload.appId, name: 'Bench app', mode: 'workflow', apiToken: workload.apiToken, status: 'normal', enableApi: true, fileUpload: workload.attachments, logs }],
    consoleUsers: [{ id: '66666666-0000-4000-8000-00000000be0c', name: 'Bench', ...workload.console }],
  };
  const server = await startDifyServer({ store, profile: 'cookie', faults: { latencyMs: workload.latencyMs } });
  let byKind: Record<string, number> = {};
  let arrivals: Arrivals = { thresholdMs: GAP_MS, first: 0, last: 0, gaps: 0, gapMs: 0, longest: [] };
  let since = cpuSeconds();
  const generatingCpuSeconds = since;
  // Counted and dropped once a second: the recorded requests are the server's only growing state.
  const tally = (): void => {
    for (const request of server.requests.splice(0, server.requests.length)) {
      const kind = requestKind(request.path);
      byKind[kind] = (byKind[kind] ?? 0) + 1;
      if (arrivals.first === 0) arrivals.first = request.at;
      const gap = arrivals.last === 0 ? 0 : request.at - arrivals.last;
      if (gap >= GAP_MS) {
        arrivals.gaps += 1;
        arrivals.gapMs += gap;
        arrivals.longest = [...arrivals.longest, [arrivals.last, gap] as [number, number]].sort((a, b) => b[1] - a[1]).slice(0, 8);
      }
      arrivals.last = Math.max(arrivals.last, request.at);
    }
  };
  const timer = setInterval(tally, 1000);
  process.on('message', (message: unknown) => {
    if (message === 'requests') {
      tally();
      const total = Object.values(byKind).reduce((sum, count) => sum + count, 0);
      process.send?.({ kind: 'requests', total, byKind, cpuSeconds: cpuSeconds() - since, peakRssBytes: process.resourceUsage().maxRSS * 1024, arrivals } satisfies DifyProcessMessage);
    } else if (message === 'reset') {
      tally();
      byKind = {};
      arrivals = { thresholdMs: GAP_MS, first: 0, last: 0, gaps: 0, gapMs: 0, longest: [] };
      since = cpuSeconds();
    } else if (message === 'stop') {
      clearInterval(timer);
      void server.close().then(() => process.exit(0));
    }
  });
  process.send?.({ kind: 'ready', url: server.url, generatingCpuSeconds } satisfies DifyProcessMessage);
}

void main();
