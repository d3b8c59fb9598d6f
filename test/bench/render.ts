import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Session } from 'node:inspector/promises';
import type { DetailCollection, LogCollection, ReportPlan } from '../../common/contracts';
import { nodeExecutionSchema, workflowLogSchema, type CollectedRun } from '../../common/dify-schemas';
import { loadSettings } from '../../config/load';
import { detailFromNodes } from '../../activities/detail-from-nodes';
import { renderReportFolder } from '../../activities/render';
import { writeNdjsonGz } from '../../activities/storage';
import { previousWindow, rangeWindow } from '../../common/window';
import { iterateRuns } from '../../simulator/generate';
import { resolveProfile } from '../../simulator/profiles';
import { consoleNode, logItem } from '../../simulator/wire-shapes';

/**
 * Rendering alone, on the raw records collection would write for N generated runs (level
 * `nodes`, one week): the time and memory of `renderReportFolder`, optionally with a CPU
 * profile. The raw file is generated once per size and kept in the temp folder.
 *
 *   npx tsx test/bench/render.ts --runs 200000 [--profile] [--keep]
 */

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '20000' },
    days: { type: 'string', default: '7' },
    profile: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});

const RUNS = Number(flags.runs);
const DAYS = Number(flags.days);
const START_DATE = '2025-03-03';
const TIMEZONE = 'Asia/Shanghai';

function* collectedRuns(): Generator<CollectedRun> {
  const profile = resolveProfile('cookie');
  for (const log of iterateRuns({ date: START_DATE, timezone: TIMEZONE, runs: RUNS, days: DAYS, attachments: false })) {
    const item = workflowLogSchema.parse(JSON.parse(JSON.stringify(logItem(log, profile))));
    const nodes = log.nodes.map((node) => nodeExecutionSchema.parse(JSON.parse(JSON.stringify(consoleNode(node, log, profile))))).sort((a, b) => a.index - b.index);
    const derived = detailFromNodes(item, nodes);
    yield 'detail' in derived ? { log: item, detail: derived.detail, nodes, problems: [], detailFrom: 'nodes' } : { log: item, detail: null, nodes, problems: [derived.fallback] };
  }
}

async function main(): Promise<void> {
  const outputDir = await mkdtemp(path.join(tmpdir(), 'difyscope-render-'));
  const raw = path.join(tmpdir(), `difyscope-render-${RUNS}-${DAYS}.ndjson.gz`);
  if (!existsSync(raw)) {
    const started = Date.now();
    await writeNdjsonGz(`${raw}.tmp`, collectedRuns());
    await rename(`${raw}.tmp`, raw);
    console.log(`generated ${RUNS} runs in ${((Date.now() - started) / 1000).toFixed(1)} s: ${raw}`);
  }
  const workDir = '.work/bench';
  await mkdir(path.join(outputDir, workDir), { recursive: true });
  await copyFile(raw, path.join(outputDir, workDir, 'runs.ndjson.gz'));
  const to = new Date(Date.parse(`${START_DATE}T00:00:00Z`) + (DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
  const window = rangeWindow(START_DATE, to, TIMEZONE);
  const settings = loadSettings({ DIFY_BASE_URL: 'http://dify.invalid', DIFY_API_TOKEN: 'app-BenchServiceKey000000001', APP_KEY: 'bench', REPORT_TIMEZONE: TIMEZONE, OUTPUT_DIR: outputDir });
  const app = settings.apps[0];
  if (!app) throw new Error('no app');
  const plan: ReportPlan = {
    app: 'bench',
    appName: 'Bench',
    window,
    level: 'nodes',
    formats: ['csv', 'md', 'json', 'html'],
    locale: 'zh-CN',
    folder: `bench/${window.kind}/${window.label}`,
    workDir,
    previousFolder: `bench/${window.kind}/${previousWindow(window).label}`,
  };
  const logs: LogCollection = { expected: RUNS, fetched: RUNS, duplicates: 0, invalid: 0, pages: 1, file: `${workDir}/logs.ndjson.gz` };
  const details: DetailCollection = { runs: RUNS, detailsFetched: RUNS, detailFailures: 0, nodesFetched: RUNS, nodeFailures: 0, file: `${workDir}/runs.ndjson.gz` };

  const session = flags.profile ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50);
  const cpuBefore = process.cpuUsage();
  const started = Date.now();
  await renderReportFolder(outputDir, app, plan, logs, details, '2025-03-10T08:00:00+08:00');
  const seconds = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  console.log(`rendered ${RUNS} runs in ${seconds.toFixed(2)} s (${((seconds / RUNS) * 100_000).toFixed(2)} s per 100,000), CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s, peak RSS ${(peak / 1048576).toFixed(0)} MB`);
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    const file = path.join(tmpdir(), `difyscope-render-${RUNS}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    console.log(`profile: ${file}`);
  }
  if (flags.keep) console.log(`report in ${path.join(outputDir, plan.folder)}`);
  else await rm(outputDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
