import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import type { temporal } from '@temporalio/proto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadSettings } from '../../config/load';
import { prepareReport, startReport } from '../../client/report';
import { startTemporal } from '../helpers/temporal';
import type { DifyProcessMessage, DifyWorkload } from './dify-process';
import { runPredecessor } from './predecessor';
import { childrenOf, cpuSecondsOf, peakRssOf } from './process-stats';

/**
 * `npm run bench`: the whole pipeline as it runs in production — a real Temporal dev server,
 * the worker as its own process from the compiled JavaScript with the prebuilt workflow
 * bundle (`npm run build`), the simulated Dify in a third process with a fixed latency per
 * request — over N generated runs at level `nodes`; then the predecessor's strategy
 * (sequential, detail then nodes per run) against the same Dify. CPU and peak memory are
 * read from /proc for each process, so every figure comes from this one run.
 *
 *   npm run bench -- --runs 20000 --latency 20 --concurrency 8 --days 7
 *   npm run bench -- --runs 2000 --profile      # the worker writes a .cpuprofile
 */

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: process.env.BENCH_RUNS ?? '20000' },
    latency: { type: 'string', default: process.env.BENCH_LATENCY_MS ?? '20' },
    concurrency: { type: 'string', default: process.env.BENCH_CONCURRENCY ?? '8' },
    days: { type: 'string', default: process.env.BENCH_DAYS ?? '7' },
    'predecessor-runs': { type: 'string', default: process.env.BENCH_PREDECESSOR_RUNS ?? '500' },
    attachments: { type: 'boolean', default: process.env.BENCH_ATTACHMENTS === '1' },
    profile: { type: 'boolean', default: false },
    /** Node options of the worker process; the default is what deploy/ and the Dockerfile set. */
    'worker-node-options': { type: 'string', default: process.env.BENCH_WORKER_NODE_OPTIONS ?? '--max-old-space-size=192 --max-semi-space-size=4' },
    /** Allocator settings of the worker process (space-separated NAME=value); the default is what deploy/ and the Dockerfile set. */
    'worker-env': { type: 'string', default: process.env.BENCH_WORKER_ENV ?? 'MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=65536' },
  },
});

const ROOT = path.resolve(__dirname, '..', '..');
const WORKER_MAIN = path.join(ROOT, 'dist', 'client', 'main.js');
const WORKFLOW_BUNDLE = path.join(ROOT, 'dist', 'workflow-bundle.js');
const RUNS = Number(flags.runs);
const LATENCY_MS = Number(flags.latency);
const CONCURRENCY = Number(flags.concurrency);
const DAYS = Number(flags.days);
const PREDECESSOR_RUNS = Math.min(RUNS, Number(flags['predecessor-runs']));
const START_DATE = '2025-03-03';
const TIMEZONE = 'Asia/Shanghai';
const WORKLOAD: DifyWorkload = {
  runs: RUNS,
  days: DAYS,
  date: START_DATE,
  timezone: TIMEZONE,
  latencyMs: LATENCY_MS,
  appId: '3f5e0c1a-0000-4000-8000-00000000be0c',
  apiToken: 'app-BenchServiceKey000000001',
  console: { email: 'bench@example.com', password: 'BenchPassw0rd1' },
  attachments: flags.attachments,
};

type RequestsMessage = Extract<DifyProcessMessage, { kind: 'requests' }>;

function startDify(): Promise<{ child: ChildProcess; url: string; generatingCpuSeconds: number }> {
  const child = fork(path.join(__dirname, 'dify-process.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_DIFY: JSON.stringify(WORKLOAD) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`simulated Dify exited with ${code}`)));
    child.on('message', (message: DifyProcessMessage) => {
      if (message.kind === 'ready') resolve({ child, url: message.url, generatingCpuSeconds: message.generatingCpuSeconds });
    });
  });
}

function ask(child: ChildProcess): Promise<RequestsMessage> {
  return new Promise((resolve) => {
    const listener = (message: DifyProcessMessage): void => {
      if (message.kind !== 'requests') return;
      child.off('message', listener);
      resolve(message);
    };
    child.on('message', listener);
    child.send('requests');
  });
}

function workerAllocatorEnv(): Record<string, string> {
  return Object.fromEntries(
    flags['worker-env']
      .split(/\s+/)
      .filter(Boolean)
      .map((assignment) => [assignment.slice(0, assignment.indexOf('=')), assignment.slice(assignment.indexOf('=') + 1)]),
  );
}

/** The worker as production runs it: `node dist/client/main.js worker`, prebuilt bundle, settings from the environment. */
function startWorker(env: Record<string, string>, profileDir: string | undefined): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), WORKER_MAIN, 'worker'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, NODE_ENV: 'production', WORKFLOW_BUNDLE_PATH: WORKFLOW_BUNDLE, NODE_OPTIONS: flags['worker-node-options'], ...workerAllocatorEnv() },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before polling`)));
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if (/polling task queue/i.test(line)) resolve(child);
    });
  });
}

function stopWorker(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const fixed = (value: number, digits = 1): string => value.toFixed(digits);
const seconds = (time: { seconds?: unknown; nanos?: number | null } | null | undefined): number => Number(time?.seconds ?? 0) + (time?.nanos ?? 0) / 1e9;

/** When each named activity of a history was scheduled and how long it took to complete (epoch seconds, seconds). */
function activityTimes(history: temporal.api.history.v1.IHistory): Map<string, { at: number; seconds: number }> {
  const scheduled = new Map<number, { name: string; at: number }>();
  const result = new Map<string, { at: number; seconds: number }>();
  for (const event of history.events ?? []) {
    const id = Number(event.eventId);
    const name = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (name) scheduled.set(id, { name, at: seconds(event.eventTime) });
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) {
      const start = scheduled.get(Number(completed.scheduledEventId));
      if (start) result.set(start.name, { at: start.at, seconds: seconds(event.eventTime) - start.at });
    }
  }
  return result;
}

/** Resident set size of a process, sampled every 100 ms: the peak before and after a moment. */
function sampleRss(pid: number): { stop: (split: number) => { before: number; after: number } } {
  const samples: { at: number; rss: number }[] = [];
  const read = (): void => {
    try {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) samples.push({ at: Date.now() / 1000, rss: Number(match[1]) * 1024 });
    } catch {
      // The process is gone.
    }
  };
  const timer = setInterval(read, 100);
  return {
    stop: (split) => {
      clearInterval(timer);
      read();
      const peak = (list: typeof samples): number => list.reduce((max, sample) => Math.max(max, sample.rss), 0);
      return { before: peak(samples.filter((sample) => sample.at < split)), after: peak(samples.filter((sample) => sample.at >= split)) };
    },
  };
}

async function historyFigures(env: TestWorkflowEnvironment, workflowId: string): Promise<{ parentEvents: number; parentBytes: number; children: number; childEventsMax: number; totalEvents: number; totalBytes: number; renderSeconds: number; renderAt: number }> {
  const parent = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const parentEvents = parent.events?.length ?? 0;
  const parentBytes = Buffer.byteLength(historyToJSON(parent));
  let totalEvents = parentEvents;
  let totalBytes = parentBytes;
  let childEventsMax = 0;
  const childIds = (parent.events ?? []).flatMap((event) => {
    const id = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    return id ? [id] : [];
  });
  for (const id of childIds) {
    const child = await env.client.workflow.getHandle(id).fetchHistory();
    const events = child.events?.length ?? 0;
    childEventsMax = Math.max(childEventsMax, events);
    totalEvents += events;
    totalBytes += Buffer.byteLength(historyToJSON(child));
  }
  const render = activityTimes(parent).get('renderReports');
  return { parentEvents, parentBytes, children: childIds.length, childEventsMax, totalEvents, totalBytes, renderSeconds: render?.seconds ?? 0, renderAt: render?.at ?? 0 };
}

/** CPU seconds of this process's other children (the Temporal dev server), if any. */
function temporalServerCpu(): number {
  return childrenOf(process.pid)
    .filter((child) => /temporal/.test(child.command))
    .reduce((sum, child) => sum + cpuSecondsOf(child.pid), 0);
}

async function main(): Promise<void> {
  if (!existsSync(WORKER_MAIN) || !existsSync(WORKFLOW_BUNDLE)) throw new Error('the bench runs the compiled worker: run `npm run build` first (`npm run bench` does)');
  const nodeOptions = `${flags['worker-node-options'] ? `; worker NODE_OPTIONS=${flags['worker-node-options']}` : ''}${flags['worker-env'] ? ` ${flags['worker-env']}` : ''}`;
  console.log(`Difyscope bench: ${RUNS} runs over ${DAYS} day(s), level nodes, ${LATENCY_MS} ms per Dify request, DIFY_CONCURRENCY=${CONCURRENCY}, ${WORKLOAD.attachments ? 'an app whose users attach files' : 'an app without file uploads'}${nodeOptions}`);
  const env = await startTemporal();
  const dify = await startDify();
  const outputDir = await mkdtemp(path.join(tmpdir(), 'difyscope-bench-'));
  const profileDir = flags.profile ? await mkdtemp(path.join(tmpdir(), 'difyscope-bench-profile-')) : undefined;
  let worker: ChildProcess | undefined;
  try {
    const workerEnv: Record<string, string> = {
      DIFY_BASE_URL: dify.url,
      DIFY_API_TOKEN: WORKLOAD.apiToken,
      DIFY_APP_ID: WORKLOAD.appId,
      DIFY_CONSOLE_EMAIL: WORKLOAD.console.email,
      DIFY_CONSOLE_PASSWORD: WORKLOAD.console.password,
      DIFY_CONCURRENCY: String(CONCURRENCY),
      APP_KEY: 'bench',
      REPORT_TIMEZONE: TIMEZONE,
      OUTPUT_DIR: outputDir,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: `bench-${process.pid}`,
      LOG_LEVEL: 'warn',
    };
    const settings = loadSettings(workerEnv);
    worker = await startWorker(workerEnv, profileDir);
    const workerPid = worker.pid ?? 0;
    const to = DateTime.fromISO(START_DATE).plus({ days: DAYS - 1 }).toISODate() ?? START_DATE;

    dify.child.send('reset');
    const workerRssAtStart = peakRssOf(workerPid);
    const rss = sampleRss(workerPid);
    const workerCpuBefore = cpuSecondsOf(workerPid);
    const temporalCpuBefore = temporalServerCpu();
    const started = Date.now();
    const prepared = prepareReport(settings, { from: START_DATE, to });
    const summary = await (await startReport(env.client, settings, prepared)).result();
    const wall = (Date.now() - started) / 1000;
    const workerCpu = cpuSecondsOf(workerPid) - workerCpuBefore;
    const temporalCpu = temporalServerCpu() - temporalCpuBefore;
    const workerPeakRss = peakRssOf(workerPid);
    const requests = await ask(dify.child);
    const history = await historyFigures(env, prepared.workflowId);
    const rssPhases = rss.stop(history.renderAt);
    await stopWorker(worker);
    worker = undefined;

    dify.child.send('reset');
    const predecessor = await runPredecessor({ baseUrl: dify.url, apiToken: WORKLOAD.apiToken, appId: WORKLOAD.appId, console: WORKLOAD.console, from: summary.window.from, to: summary.window.to, runs: PREDECESSOR_RUNS });

    const ideal = CONCURRENCY / (LATENCY_MS / 1000);
    const collectSeconds = wall - history.renderSeconds;
    const requestsPerRun = requests.total / summary.runs;
    const runsPerSecond = summary.runs / wall;
    const predecessorRunsPerSecond = predecessor.runs / predecessor.seconds;
    const kinds = Object.entries(requests.byKind).map(([kind, count]) => `${count} ${kind}`).join(', ');
    const lines = [
      '',
      `Difyscope (${summary.runs} runs, ${summary.completeness.line})`,
      `  wall time                    ${fixed(wall)} s for the whole report (${fixed(collectSeconds)} s collecting, ${fixed(history.renderSeconds)} s rendering)`,
      `  runs/s                       ${fixed(runsPerSecond)}`,
      `  requests                     ${requests.total} (${kinds})`,
      `  requests per run             ${fixed(requestsPerRun, 3)}`,
      `  requests/s while collecting  ${fixed(requests.total / collectSeconds)} of an ideal ${fixed(ideal)} (concurrency ${CONCURRENCY} ÷ ${LATENCY_MS} ms): ${fixed((requests.total / collectSeconds / ideal) * 100)} %`,
      `  requests/s, whole report     ${fixed(requests.total / wall)}: ${fixed((requests.total / wall / ideal) * 100)} % of the ideal`,
      `  requests arrived             from ${fixed((requests.arrivals.first - started) / 1000)} s to ${fixed((requests.arrivals.last - started) / 1000)} s after the start (${fixed(requests.total / ((requests.arrivals.last - requests.arrivals.first) / 1000))}/s in between); ${requests.arrivals.gaps} pauses of ${requests.arrivals.thresholdMs} ms or more, ${fixed(requests.arrivals.gapMs / 1000, 2)} s in all${requests.arrivals.longest.length > 0 ? ` (longest: ${requests.arrivals.longest.map(([at, ms]) => `${ms} ms at +${fixed((at - started) / 1000)} s`).join(', ')})` : ''}`,
      `  rendering                    ${fixed((history.renderSeconds / summary.runs) * 100_000, 2)} s per 100,000 runs`,
      `  worker CPU                   ${fixed(workerCpu, 2)} s: ${fixed((workerCpu / summary.runs) * 1000, 2)} CPU-s per 1,000 runs`,
      `  worker peak RSS              ${mb(workerPeakRss)} (VmHWM of the worker process; ${mb(workerRssAtStart)} once polling, ${mb(rssPhases.before)} collecting, ${mb(rssPhases.after)} rendering)`,
      `  simulated Dify CPU           ${fixed(requests.cpuSeconds, 2)} s while serving (${fixed((requests.cpuSeconds / wall) * 100)} % of a core; ${fixed(dify.generatingCpuSeconds, 1)} s generating the runs before), peak RSS ${mb(requests.peakRssBytes)}`,
      `  Temporal dev server CPU      ${fixed(temporalCpu, 2)} s`,
      `  history, parent              ${history.parentEvents} events, ${history.parentBytes} bytes (historyToJSON)`,
      `  history, shards              ${history.children} child workflows, at most ${history.childEventsMax} events each; ${history.totalEvents} events, ${history.totalBytes} bytes in all`,
      '',
      `Predecessor strategy (sequential, detail then nodes per run; ${predecessor.runs} runs sampled, same Dify)`,
      `  wall time                    ${fixed(predecessor.seconds)} s`,
      `  runs/s                       ${fixed(predecessorRunsPerSecond)}`,
      `  requests/s                   ${fixed(predecessor.requests / predecessor.seconds)}`,
      `  projected for ${summary.runs} runs  ${fixed(summary.runs / predecessorRunsPerSecond)} s`,
      '',
      `Speed-up (runs/s, Difyscope's whole report ÷ predecessor): ${fixed(runsPerSecond / predecessorRunsPerSecond)}×`,
      ...(profileDir ? [`Worker CPU profile in ${profileDir}`] : []),
    ];
    console.log(lines.join('\n'));
  } finally {
    if (worker) await stopWorker(worker);
    dify.child.send('stop');
    await env.teardown();
    await rm(outputDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
