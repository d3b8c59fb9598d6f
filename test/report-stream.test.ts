import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Completeness, DetailCollection, LogCollection, ReportPlan } from '../common/contracts';
import type { CollectedRun } from '../common/dify-schemas';
import { loadSettings, type AppConfig } from '../config/load';
import { renderReportFolder } from '../activities/render';
import { RunSorter } from '../activities/render-sort';
import { writeNdjsonGz } from '../activities/storage';
import { prepareRecord } from '../reports';
import { renderReport } from './helpers/render-report';
import { userKey } from '../reports/user-history';
import { boundsWindow, previousWindow, rangeWindow, type ReportWindow } from '../common/window';
import { DAY1, fixtureRuns, run } from './fixtures/report-runs';

/**
 * The streaming path of activities/render.ts against the in-memory renderReport: same bytes,
 * with the external sort forced to spill and merge in rounds; and the history that lets a
 * report say which users and errors are new.
 */

function app(outputDir: string): AppConfig {
  const settings = loadSettings({ DIFY_BASE_URL: 'http://dify.invalid', DIFY_API_TOKEN: 'app-test', APP_KEY: 'shop', APP_NAME: 'Shop', REPORT_TIMEZONE: 'Asia/Shanghai', OUTPUT_DIR: outputDir });
  const found = settings.apps[0];
  assert.ok(found);
  return found;
}

const COMPLETE: Completeness = { level: 'nodes', expected: 0, fetched: 0, duplicates: 0, invalid: 0, detailFailures: 0, nodeFailures: 0, complete: true, line: 'complete: 0 of 0 runs fetched, details for all, node executions for all' };

async function renderFolder(outputDir: string, window: ReportWindow, runs: CollectedRun[], sortChunkSize?: number) {
  const workDir = `.work/${window.label}`;
  await writeNdjsonGz(path.join(outputDir, workDir, 'runs.ndjson.gz'), runs);
  const plan: ReportPlan = {
    app: 'shop',
    appName: 'Shop',
    window,
    level: 'nodes',
    formats: ['csv', 'md', 'json', 'html'],
    locale: 'en',
    folder: `shop/${window.kind}/${window.label}`,
    workDir,
    previousFolder: `shop/${window.kind}/${previousWindow(window).label}`,
  };
  const logs: LogCollection = { expected: runs.length, fetched: runs.length, duplicates: 0, invalid: 0, pages: 1, file: `${workDir}/logs.ndjson.gz` };
  const details: DetailCollection = { runs: runs.length, detailsFetched: runs.length, detailFailures: 0, nodesFetched: runs.length, nodeFailures: 0, file: `${workDir}/runs.ndjson.gz` };
  return renderReportFolder(outputDir, app(outputDir), plan, logs, details, '2025-03-04T08:00:00+08:00', { sortChunkSize });
}

void describe('streaming render', () => {
  void it('RunSorter: spills, merges in rounds, gives created_at then log id order with each payload, cleans up', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'difyscope-sort-'));
    const sorter = new RunSorter<[string, number | null, string[]]>(path.join(dir, 'sort'), 3, 2);
    // Two runs share a second, so the log id must break the tie.
    const runs = [...fixtureRuns(), run({ n: '00', at: DAY1 + 34200, who: { endUser: { id: 'x', session: 'x' } }, status: 'succeeded', elapsed: 1, tokens: 1 })];
    for (const entry of runs.reverse()) {
      const record = prepareRecord(entry, {});
      await sorter.add({ createdAt: record.createdAt, logId: record.logId, payload: [`"${record.runId}",\r\n`, null, [record.userId, '中文']] }, 10);
    }
    const order: string[] = [];
    for await (const entry of sorter.sorted()) {
      order.push(entry.logId);
      const record = runs.map((collected) => prepareRecord(collected, {})).find((candidate) => candidate.logId === entry.logId);
      assert.deepEqual(entry.payload, [`"${record?.runId ?? ''}",\r\n`, null, [record?.userId ?? '', '中文']]);
    }
    assert.deepEqual(order, ['log-09', 'log-00', 'log-01', 'log-02', 'log-03', 'log-04', 'log-05', 'log-06', 'log-07', 'log-10', 'log-08']);
    assert.ok(existsSync(path.join(dir, 'sort')));
    await sorter.cleanup();
    assert.ok(!existsSync(path.join(dir, 'sort')));
    await rm(dir, { recursive: true, force: true });
  });

  void it('the activity writes the same bytes as renderReport, runs in any order', async () => {
    const outputDir = await mkdtemp(path.join(tmpdir(), 'difyscope-stream-'));
    try {
      const window = rangeWindow('2025-03-01', '2025-03-03', 'Asia/Shanghai');
      const summary = await renderFolder(outputDir, window, fixtureRuns(), 2);
      const expected = renderReport(fixtureRuns().reverse(), {
        appKey: 'shop', appName: 'Shop', window, generatedAt: '2025-03-04T08:00:00+08:00', locale: 'en', formats: ['csv', 'md', 'json', 'html'],
        questionFields: ['query', 'sys.query'], answerFields: ['text', 'answer', 'result'], answerMaxLength: 2000,
        completeness: { ...COMPLETE, expected: 10, fetched: 10, line: 'complete: 10 of 10 runs fetched, details for all, node executions for all' },
        previous: null, previousErrorSignatures: null, earlierUsers: null,
      });
      assert.deepEqual(summary.files, [...expected.files.map((file) => file.name), 'users.json', 'raw/runs.ndjson.gz']);
      for (const file of expected.files) assert.equal(await readFile(path.join(summary.folder, file.name), 'utf8'), file.content, file.name);
      assert.equal(summary.runs, 10);
    } finally {
      await rm(outputDir, { recursive: true, force: true });
    }
  });

  void it('consecutive daily reports: users.json, new vs returning users, new error signatures', async () => {
    const outputDir = await mkdtemp(path.join(tmpdir(), 'difyscope-history-'));
    const day = (date: string, next: string) => boundsWindow('daily', `${date}T00:00:00+08:00`, `${next}T00:00:00+08:00`, 'Asia/Shanghai');
    const inWindow = (window: ReportWindow) => fixtureRuns().filter((entry) => entry.log.created_at >= Date.parse(window.from) / 1000 && entry.log.created_at < Date.parse(window.to) / 1000);
    try {
      const day1 = day('2025-03-01', '2025-03-02');
      const day2 = day('2025-03-02', '2025-03-03');
      const day3 = day('2025-03-03', '2025-03-04');
      // 03-01: eu-e, alice (twice), bob; alice's run 03 fails with the timeout.
      await renderFolder(outputDir, day1, inWindow(day1));
      // 03-02: one run, a quota error never seen on 03-01.
      const quota = run({ n: '11', at: DAY1 + 86400 + 43200, who: { endUser: { id: 'eu-zoe', session: 'zoe' } }, status: 'failed', elapsed: 1, tokens: 0, error: 'Quota exceeded for key 42' });
      await renderFolder(outputDir, day2, [quota]);
      // 03-03: carol, dave, alice, bob; the timeout again (run 10), absent on 03-02.
      const summary3 = await renderFolder(outputDir, day3, inWindow(day3));

      const users1 = JSON.parse(await readFile(path.join(outputDir, 'shop/daily/2025-03-01/users.json'), 'utf8')) as { schema: string; users: string[] };
      assert.equal(users1.schema, 'difyscope.users/1');
      assert.deepEqual(users1.users, [userKey('alice'), userKey('bob'), userKey('eu-e')].sort());

      const json = async (label: string) => JSON.parse(await readFile(path.join(outputDir, `shop/daily/${label}/report.json`), 'utf8')) as { users: unknown; errors: { signature: string; isNew: boolean | null }[] };
      // 03-01: nothing earlier, so unknown rather than "all new".
      assert.deepEqual((await json('2025-03-01')).users, { total: 3, new: null, returning: null, comparedPeriods: null });
      assert.deepEqual((await json('2025-03-01')).errors.map((error) => error.isNew), [null]);
      // 03-02: zoe was not on 03-01; the quota error is new against 03-01.
      assert.deepEqual((await json('2025-03-02')).users, { total: 1, new: 1, returning: 0, comparedPeriods: 1 });
      assert.deepEqual((await json('2025-03-02')).errors.map((error) => [error.signature, error.isNew]), [['Quota exceeded for key <n>', true]]);
      // 03-03 against 03-02 and 03-01: alice and bob return; carol@example.com and dave are new.
      assert.deepEqual((await json('2025-03-03')).users, { total: 4, new: 2, returning: 2, comparedPeriods: 2 });
      const errors = parse(await readFile(path.join(summary3.folder, 'errors.csv'), 'utf8'), { bom: true }) as string[][];
      assert.deepEqual(errors.map((row) => [row[0], row[7]]), [['signature', 'new_signature'], ['Node LLM failed: model <value> timed out after <n> ms (run <id>)', 'true']]);
      const md = await readFile(path.join(summary3.folder, 'report.md'), 'utf8');
      assert.ok(md.includes('| New users (against the previous 2 reports) | 2 |\n| Returning users | 2 |'));
    } finally {
      await rm(outputDir, { recursive: true, force: true });
    }
  });
});
