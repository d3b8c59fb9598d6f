import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadSettings } from '../../config/load';
import { prepareReport, startReport } from '../../client/report';
import { createWorker } from '../../worker/worker';
import { startTemporal, workflowBundle } from '../helpers/temporal';
import type { DifyProcessMessage, DifyWorkload } from './dify-process';
import { runPredecessor } from './predecessor';

/**
 * `npm run bench`: the whole pipeline — a real Temporal dev server, the worker in this
 * process, the simulated Dify in a child process with a fixed latency per request — over N
 * generated runs with details and node executions, then the predecessor's strategy
 * (sequential, detail then nodes per run) against the same Dify, and the figures of both.
 *
 *   npm run bench -- --runs 20000 --latency 20 --concurrency 8 --days 7
 *   BENCH_RUNS=2000 npm run bench
 */

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: process.env.BENCH_RUNS ?? '20000' },
    latency: { type: 'string', default: process.env.BENCH_LATENCY_MS ?? '20' },
    concurrency: { type: 'string', default: process.env.BENCH_CONCURRENCY ?? '8' },
    days: { type: 'string', default: process.env.BENCH_DAYS ?? '7' },
    'predecessor-runs': { type: 'string', default: process.env.BENCH_PREDECESSOR_RUNS ?? '500' },
  },
});

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
};

function startDify(): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(path.join(__dirname, 'dify-process.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_DIFY: JSON.stringify(WORKLOAD) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`simulated Dify exited with ${code}`)));
    child.on('message', (message: DifyProcessMessage) => {
      if (message.kind === 'ready') resolve({ child, url: message.url });
    });
  });
}

function requestCounts(child: ChildProcess): Promise<Extract<DifyProcessMessage, { kind: 'requests' }>> {
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

/** Peak resident set size of this process (the worker's), sampled every 50 ms. */
function sampleRss(): { stop: () => number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const fixed = (value: number, digits = 1): string => value.toFixed(digits);

async function historyFigures(env: TestWorkflowEnvironment, workflowId: string): Promise<{ parentEvents: number; parentBytes: number; children: number; childEventsMax: number; totalEvents: number; totalBytes: number }> {
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
  return { parentEvents, parentBytes, children: childIds.length, childEventsMax, totalEvents, totalBytes };
}

async function main(): Promise<void> {
  console.log(`Difyscope bench: ${RUNS} runs over ${DAYS} day(s), level nodes, ${LATENCY_MS} ms per Dify request, DIFY_CONCURRENCY=${CONCURRENCY}`);
  const env = await startTemporal();
  const dify = await startDify();
  const outputDir = await mkdtemp(path.join(tmpdir(), 'difyscope-bench-'));
  try {
    const settings = loadSettings({
      DIFY_BASE_URL: dify.url,
      DIFY_API_TOKEN: WORKLOAD.apiToken,
      DIFY_APP_ID: WORKLOAD.appId,
      DIFY_CONSOLE_EMAIL: WORKLOAD.console.email,
      DIFY_CONSOLE_PASSWORD: WORKLOAD.console.password,
      DIFY_CONCURRENCY: String(CONCURRENCY),
      APP_KEY: 'bench',
      REPORT_TIMEZONE: TIMEZONE,
      OUTPUT_DIR: outputDir,
      TEMPORAL_TASK_QUEUE: `bench-${process.pid}`,
      LOG_LEVEL: 'warn',
    });
    const worker = await createWorker({ settings, connection: env.nativeConnection, workflowBundle: await workflowBundle() });
    const to = DateTime.fromISO(START_DATE).plus({ days: DAYS - 1 }).toISODate() ?? START_DATE;

    const rss = sampleRss();
    const started = Date.now();
    const summary = await worker.runUntil(async () => {
      const prepared = prepareReport(settings, { from: START_DATE, to });
      const handle = await startReport(env.client, settings, prepared);
      return handle.result();
    });
    const seconds = (Date.now() - started) / 1000;
    const peakRss = rss.stop();
    const requests = await requestCounts(dify.child);
    const history = await historyFigures(env, prepareReport(settings, { from: START_DATE, to }).workflowId);

    dify.child.send('reset');
    const predecessor = await runPredecessor({ baseUrl: dify.url, apiToken: WORKLOAD.apiToken, appId: WORKLOAD.appId, console: WORKLOAD.console, from: summary.window.from, to: summary.window.to, runs: PREDECESSOR_RUNS });

    const ideal = CONCURRENCY / (LATENCY_MS / 1000);
    const requestsPerSecond = requests.total / seconds;
    const runsPerSecond = summary.runs / seconds;
    const lines = [
      '',
      `Difyscope (${summary.runs} runs, ${summary.completeness.line})`,
      `  wall time                 ${fixed(seconds)} s (whole report: plan, collect, render, files)`,
      `  runs/s                    ${fixed(runsPerSecond)}`,
      `  requests                  ${requests.total} (${Object.entries(requests.byKind).map(([kind, count]) => `${count} ${kind}`).join(', ')})`,
      `  requests/s                ${fixed(requestsPerSecond)}`,
      `  ideal requests/s          ${fixed(ideal)} (concurrency ${CONCURRENCY} ÷ ${LATENCY_MS} ms)`,
      `  achieved / ideal          ${fixed((requestsPerSecond / ideal) * 100)} %`,
      `  peak RSS (worker process) ${mb(peakRss)}`,
      `  history, parent           ${history.parentEvents} events, ${history.parentBytes} bytes (historyToJSON)`,
      `  history, shards           ${history.children} child workflows, at most ${history.childEventsMax} events each; ${history.totalEvents} events, ${history.totalBytes} bytes in all`,
      '',
      `Predecessor strategy (sequential, detail then nodes per run; ${predecessor.runs} runs sampled)`,
      `  wall time                 ${fixed(predecessor.seconds)} s`,
      `  runs/s                    ${fixed(predecessor.runs / predecessor.seconds)}`,
      `  requests/s                ${fixed(predecessor.requests / predecessor.seconds)}`,
      `  projected for ${summary.runs} runs ${fixed((summary.runs / predecessor.runs) * predecessor.seconds)} s`,
      '',
      `Speed-up (runs/s, Difyscope ÷ predecessor): ${fixed(runsPerSecond / (predecessor.runs / predecessor.seconds))}×`,
    ];
    console.log(lines.join('\n'));
  } finally {
    dify.child.send('stop');
    await env.teardown();
    await rm(outputDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
