import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Completeness, DetailCollection, LogCollection, ReportPlan } from '../common/contracts';
import { loadSettings } from '../config/load';
import { renderReportFolder } from '../activities/render';
import { writeNdjsonGz } from '../activities/storage';
import { prepareReport } from '../client/report';
import { configurationProblems } from '../client/check-config';
import { dailyWindow, previousWindow, rangeWindow, WindowError } from '../common/window';
import { fixtureRuns } from './fixtures/report-runs';

/**
 * The everyday sharp edges: check finds everything the worker would refuse in one pass; an
 * unreachable Temporal says what to do; impossible dates are refused; a report is re-rendered
 * from its raw records without Dify; the weekend setting says what the code does.
 */

const CLI = path.join(__dirname, '..', 'bin', 'difyscope.js');
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'difyscope-edges-'));
  dirs.push(dir);
  return dir;
}

function cli(args: string[], env: Record<string, string>, cwd = tempDir()) {
  const result = spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const BASE = { DIFY_BASE_URL: 'http://127.0.0.1:9', DIFY_API_TOKEN: 'app-test-token-123', REPORT_TIMEZONE: 'Asia/Shanghai' };

describe('check validates what the worker validates, in one pass', () => {
  it('lists a bad encryption key, time zone, recipient list and metrics address together (exit 2), naming each setting', () => {
    const env = { ...BASE, REPORT_TIMEZONE: 'Mars/Olympus', DIFYSCOPE_ENCRYPTION_KEY: 'k1:dG9vLXNob3J0', NOTIFY_CHANNELS: 'email', SMTP_HOST: 'smtp.example.com', SMTP_FROM: 'a@example.com', SMTP_TO: 'not-an-address', METRICS_ADDRESS: 'nine' };
    const problems = configurationProblems(env);
    const settings = ['REPORT_TIMEZONE', 'DIFYSCOPE_ENCRYPTION_KEY', 'SMTP_TO', 'METRICS_ADDRESS'];
    for (const setting of settings) assert.ok(problems.some((line) => line.startsWith(setting)), `${setting} in ${problems.join(' | ')}`);
    const result = cli(['check'], { ...env, TEMPORAL_ADDRESS: '127.0.0.1:9' });
    assert.equal(result.status, 2, result.stderr);
    const lines = result.stdout.split('\n');
    for (const setting of settings) assert.ok(lines.some((line) => line.startsWith(`✗ Configuration: ${setting}`)), `${setting} in\n${result.stdout}`);
    assert.ok(lines.every((line) => line.startsWith('✗ Configuration: ')), 'nothing is tried before the configuration is right');
  });

  it('a key the worker accepts passes', () => {
    assert.deepEqual(configurationProblems({ ...BASE, DIFYSCOPE_ENCRYPTION_KEY: `k1:${Buffer.alloc(32, 7).toString('base64')}` }), []);
  });
});

describe('Temporal unreachable', () => {
  it('one line naming TEMPORAL_ADDRESS and difyscope dev', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const result = cli(['report', '--from', '2025-03-01', '--to', '2025-03-01'], { ...BASE, TEMPORAL_ADDRESS: address });
    assert.equal(result.status, 1, result.stderr);
    assert.equal(result.stderr.split('\n').length, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`^difyscope: cannot reach ${address.replace(/\./g, '\\.')} .*check TEMPORAL_ADDRESS or start a server \\(difyscope dev\\)$`));
  });
});

describe('impossible dates are refused with one line', () => {
  const settings = loadSettings(BASE);
  const now = new Date('2026-03-10T04:00:00Z');
  const refuse = (from: string, to: string, pattern: RegExp): void => {
    assert.throws(() => prepareReport(settings, { from, to }, now), (error: unknown) => error instanceof WindowError && pattern.test(error.message) && !error.message.includes('\n'));
  };

  it('offsets beyond ±14:00', () => {
    refuse('2026-03-01T00:00:00+25:00', '2026-03-02', /^--from: "2026-03-01T00:00:00\+25:00" has the UTC offset \+25:00; offsets run from -14:00 to \+14:00$/);
    refuse('2026-03-01', '2026-03-02T00:00:00-14:30', /^--to: .*offsets run from -14:00 to \+14:00$/);
    assert.doesNotThrow(() => prepareReport(settings, { from: '2026-03-01T00:00:00+14:00', to: '2026-03-02T00:00:00-12:00' }, now));
  });

  it('dates before 2023 or after tomorrow', () => {
    refuse('0001-01-01', '2026-03-01', /^--from: "0001-01-01" is before 2023-01-01; give a date from 2023-01-01 on/);
    refuse('2022-12-31', '2023-01-02', /^--from: "2022-12-31" is before 2023-01-01/);
    refuse('2026-03-01', '2026-03-12', /^--to: "2026-03-12" is after tomorrow \(2026-03-11 in Asia\/Shanghai\)/);
    assert.doesNotThrow(() => prepareReport(settings, { from: '2023-01-01', to: '2026-03-11' }, now));
  });

  it('on the command line: exit 2, one line', () => {
    const result = cli(['report', '--from', '0001-01-01', '--to', '2025-03-01'], { ...BASE, TEMPORAL_ADDRESS: '127.0.0.1:9' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^difyscope: --from: "0001-01-01" is before 2023-01-01; give a date from 2023-01-01 on \(YYYY-MM-DD\)$/);
  });
});

describe('difyscope rerender', () => {
  it('re-renders a report from its raw records in another locale, asking neither Dify nor Temporal', async () => {
    const outputDir = tempDir();
    const env = { ...BASE, APP_KEY: 'shop', APP_NAME: 'Shop', OUTPUT_DIR: outputDir, TEMPORAL_ADDRESS: '127.0.0.1:9' };
    const app = loadSettings(env).apps[0];
    assert.ok(app);
    const window = rangeWindow('2025-03-01', '2025-03-03', 'Asia/Shanghai');
    const runs = fixtureRuns();
    const workDir = '.work/first';
    await writeNdjsonGz(path.join(outputDir, workDir, 'runs.ndjson.gz'), runs);
    const plan: ReportPlan = { app: 'shop', appName: 'Shop', window, level: 'details', formats: ['csv', 'md', 'json', 'html'], locale: 'en', folder: `shop/range/${window.label}`, workDir, previousFolder: `shop/range/${previousWindow(window).label}` };
    const logs: LogCollection = { expected: 12, fetched: runs.length, duplicates: 0, invalid: 0, pages: 1, file: `${workDir}/logs.ndjson.gz` };
    const details: DetailCollection = { runs: runs.length, detailsFetched: runs.length, detailFailures: 0, nodesFetched: 0, nodeFailures: 0, file: `${workDir}/runs.ndjson.gz` };
    const first = await renderReportFolder(outputDir, app, plan, logs, details, '2025-03-04T08:00:00+08:00');
    const before = JSON.parse(readFileSync(path.join(first.folder, 'report.json'), 'utf8')) as { figures: unknown; completeness: Completeness };
    assert.ok(existsSync(path.join(first.folder, 'overview.csv')));

    const result = cli(['rerender', first.folder, '--locale', 'zh-CN'], env);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^Re-rendered .*shop\/range\/2025-03-01_2025-03-03: /);
    assert.ok(existsSync(path.join(first.folder, '问答类应用数-总览.csv')), 'the zh-CN sheets');
    assert.ok(!existsSync(path.join(first.folder, 'overview.csv')), 'the English sheets are replaced');
    assert.ok(existsSync(path.join(first.folder, 'raw', 'runs.ndjson.gz')), 'the raw records stay');
    const after = JSON.parse(readFileSync(path.join(first.folder, 'report.json'), 'utf8')) as { figures: unknown; completeness: Completeness };
    assert.deepEqual(after.figures, before.figures);
    assert.deepEqual(after.completeness, before.completeness, 'completeness as collected: 10 of 12, incomplete');
    assert.equal(after.completeness.complete, false);
    assert.match(readFileSync(path.join(first.folder, 'report.md'), 'utf8'), /不完整：已获取 10\/12 条运行记录，详情全部获取/);

    const formatsOnly = cli(['rerender', first.folder, '--formats', 'md'], env);
    assert.equal(formatsOnly.status, 0, formatsOnly.stderr);
    assert.ok(existsSync(path.join(first.folder, 'report.md')) && !existsSync(path.join(first.folder, 'report.html')));

    const outside = cli(['rerender', tmpdir()], env);
    assert.equal(outside.status, 2);
    assert.match(outside.stderr, /^difyscope: <folder>: .* is not a report folder inside OUTPUT_DIR/);
  });
});

describe('the weekend setting, said one way', () => {
  it('without weekend runs Monday covers Friday to Sunday, as the setting describes', () => {
    const monday = dailyWindow('2025-03-10T08:00:00+08:00', 'Asia/Shanghai', { weekends: false });
    assert.equal(monday.label, '2025-03-07_2025-03-09');
    const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    assert.ok(!readme.includes('only Sunday'));
    assert.ok(readme.includes('the Monday report covers Friday to Sunday'));
  });
});
