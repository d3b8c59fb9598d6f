import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { loadSettings } from '../config/load';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import { fixtureEnv, fixtureStore, type FixtureRun } from './fixtures/store-builder';
import { startTemporal, uniqueTaskQueue } from './helpers/temporal';
import { startTestWorker, type RunningWorker } from './helpers/worker';
import { statusReport } from '../client/status';

/**
 * The live progress of `difyscope report`, driven by a real report: the CLI runs as its own
 * process, in a pseudo-terminal (`script`) for the bar and on a pipe for plain lines, against
 * a real Temporal dev server, a worker and a simulated Dify slow enough to be watched.
 */

/** ESC, as a string: the lint rule forbids control characters in regex literals. */
const ESC = String.fromCharCode(27);

const CLI = path.join(__dirname, '..', 'bin', 'difyscope.js');
const RUNS_PER_DAY = 400;
const today = DateTime.utc().startOf('day');
const days = [2, 3, 4].map((back) => today.minus({ days: back }).toISODate() ?? '');

function runsOf(day: string, first: number): FixtureRun[] {
  return Array.from({ length: RUNS_PER_DAY }, (_, index) => ({ n: first + index, at: `${day}T08:${String(Math.floor(index / 60)).padStart(2, '0')}:${String(index % 60).padStart(2, '0')}Z`, user: `user-${index % 7}`, elapsed: 1 + (index % 5), tokens: 10 }));
}

/** Runs the CLI to the end and returns everything it wrote (a pty merges stdout and stderr). */
function runCli(command: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TERM: 'xterm-256color', COLUMNS: '160', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('live progress of difyscope report', { timeout: 300_000 }, () => {
  let env: TestWorkflowEnvironment;
  let dify: RunningDifyServer;
  let worker: RunningWorker;
  let cliEnv: Record<string, string>;
  const outputDir = mkdtempSync(path.join(tmpdir(), 'difyscope-progress-'));

  before(async () => {
    env = await startTemporal();
    // Each request waits a little, so fetching 400 details at 2 at a time takes a few seconds.
    dify = await startDifyServer({ store: fixtureStore(days.flatMap((day, at) => runsOf(day, 1 + at * 1000))), faults: { latencyMs: 15 } });
    cliEnv = {
      ...fixtureEnv(dify.url),
      APP_KEY: 'support',
      REPORT_TIMEZONE: 'UTC',
      DIFY_COLLECT_LEVEL: 'details',
      DIFY_CONCURRENCY: '2',
      REPORT_FORMATS: 'json',
      OUTPUT_DIR: outputDir,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('progress'),
    };
    worker = await startTestWorker(env, loadSettings(cliEnv));
  });
  after(async () => {
    await worker?.stop();
    await dify?.close();
    await env?.teardown();
    rmSync(outputDir, { recursive: true, force: true });
  });

  it('on a terminal: a bar whose counts move and end at the total, then the summary', async () => {
    const command = [process.execPath, CLI, 'report', '--from', days[0], '--to', days[0]].map((part) => `'${part ?? ''}'`).join(' ');
    const { code, output } = await runCli('script', ['-qfec', command, '/dev/null'], cliEnv);
    assert.equal(code, 0, output);
    // Frames are redrawn in place: split on carriage returns and cursor moves.
    const frames = output.split(new RegExp(`\\r|${ESC}\\[[0-9;]*[A-Za-z]`)).filter((frame) => / runs \| /.test(frame));
    const counts = frames.map((frame) => /(\d+)\/(\d+) runs/.exec(frame)).filter((match): match is RegExpExecArray => match !== null).map((match) => [Number(match[1]), Number(match[2])] as const);
    assert.ok(counts.length > 0, `no bar in:\n${output}`);
    const moving = counts.filter(([done, total]) => total === RUNS_PER_DAY && done > 0 && done < RUNS_PER_DAY);
    assert.ok(moving.length > 0, `counts between 0 and ${RUNS_PER_DAY} appear: ${JSON.stringify(counts)}`);
    assert.deepEqual(counts.at(-1), [RUNS_PER_DAY, RUNS_PER_DAY], 'the bar ends at the total');
    for (let at = 1; at < counts.length; at += 1) assert.ok((counts[at]?.[0] ?? 0) >= (counts[at - 1]?.[0] ?? 0), 'counts never go back');
    assert.ok(frames.some((frame) => / req\/s \| ETA /.test(frame)), 'rate and ETA are shown');
    assert.match(output, new RegExp(`runs ${RUNS_PER_DAY} \\(succeeded ${RUNS_PER_DAY}, failed 0\\)`));
  });

  it('off a terminal: plain lines with the same figures, no control characters', async () => {
    const { code, output } = await runCli(process.execPath, [CLI, 'report', '--from', days[1] ?? '', '--to', days[1] ?? ''], cliEnv);
    assert.equal(code, 0, output);
    assert.ok(!output.includes(ESC) && !output.includes('\r'), 'no control characters');
    const lines = output.split('\n');
    assert.ok(lines.some((line) => /^fetching details: \d+ of 400 runs/.test(line) || /^rendering: 400 of 400 runs/.test(line)), output);
    assert.ok(lines.some((line) => line.startsWith('  runs 400 (succeeded 400, failed 0)')), output);
  });

  it('status prints the same figures while the report runs', async () => {
    const started = await runCli(process.execPath, [CLI, 'report', '--no-wait', '--from', days[2] ?? '', '--to', days[2] ?? ''], cliEnv);
    assert.equal(started.code, 0, started.output);
    const workflowId = `range/support/${days[2] ?? ''}`;
    const seen: string[] = [];
    for (;;) {
      const { lines } = await statusReport(env.client, workflowId);
      const progress = lines.find((line) => line.startsWith('  progress: '));
      if (progress) seen.push(progress);
      if (!lines[0]?.endsWith('RUNNING')) break;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    assert.ok(seen.some((line) => /^ {2}progress: fetching details: \d+ of 400 runs, [\d.]+ req\/s/.test(line)), seen.join('\n'));
  });
});
