import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chromium as playwright } from 'playwright-core';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { loadSettings, type Settings } from '../config/load';
import { prepareReport, startReport } from '../client/report';
import { registerSearchAttributes } from '../client/search-attributes';
import { findTemporalCli } from '../client/temporal-cli';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import { fixtureEnv, fixtureStore, type FixtureRun } from './fixtures/store-builder';
import { quietRuntime, uniqueTaskQueue } from './helpers/temporal';
import { recordHistory } from './helpers/history';
import { startTestWorker, type RunningWorker } from './helpers/worker';
import { freePort } from './helpers/ports';

/**
 * What the Temporal Web UI shows of a report, read back through the client: the static
 * summary and details of the report and of its shard children, the current details (the
 * Web UI's metadata query) with the headline figures and the folder, and the search
 * attributes `dev` registers, queried with a list filter. The Web UI's workflow list is
 * captured by headless Chromium into docs/web-ui-workflows.png.
 */

const DOCS_SHOT = path.resolve(__dirname, '..', 'docs', 'web-ui-workflows.png');
const today = DateTime.utc().startOf('day');
const days = [4, 3, 2].map((back) => today.minus({ days: back }).toISODate() ?? '');


function runs(): FixtureRun[] {
  return days.flatMap((day, at) => Array.from({ length: 5 + at }, (_, index) => ({ n: at * 100 + index + 1, at: `${day}T09:0${index}:00Z`, user: `user-${index}`, elapsed: 1 + index, tokens: 10, ...(index === 0 && at === 1 ? { status: 'failed' as const } : {}) })));
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    const value = await read();
    if (done(value) || attempt >= 100) return value;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

describe('the Web UI explains each report', { timeout: 300_000 }, () => {
  let env: TestWorkflowEnvironment;
  let client: Client;
  let dify: RunningDifyServer;
  let worker: RunningWorker;
  let settings: Settings;
  let uiPort: number;
  const outputDir = mkdtempSync(path.join(tmpdir(), 'difyscope-webui-'));

  before(async () => {
    quietRuntime();
    uiPort = await freePort();
    const cli = findTemporalCli();
    assert.ok(cli, 'the temporal CLI is needed');
    env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: cli }, ip: '127.0.0.1', ui: true, uiPort, extraArgs: ['--log-level', 'error'] } });
    await registerSearchAttributes(env.connection, 'default');
    client = new Client({ connection: env.connection, namespace: 'default' });
    dify = await startDifyServer({ store: fixtureStore(runs()) });
    settings = loadSettings({ ...fixtureEnv(dify.url), APP_KEY: 'support', REPORT_TIMEZONE: 'UTC', DIFY_COLLECT_LEVEL: 'details', REPORT_FORMATS: 'json,md', OUTPUT_DIR: outputDir, TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: uniqueTaskQueue('webui') });
    worker = await startTestWorker(env, settings);
  });
  after(async () => {
    await worker?.stop();
    await dify?.close();
    await env?.teardown();
    rmSync(outputDir, { recursive: true, force: true });
  });

  it('summaries, details and search attributes of a sharded report and a one-day report', async () => {
    const label = `${days[0] ?? ''}_${days[2] ?? ''}`;
    const sharded = await startReport(client, settings, prepareReport(settings, { from: days[0] ?? '', to: days[2] ?? '' }));
    const summary = await sharded.result();
    const single = await startReport(client, settings, prepareReport(settings, { from: days[1] ?? '', to: days[1] ?? '' }));
    await single.result();

    // A replay fixture of the summary attribute's outcome (upserted behind a patch).
    if (process.env.RECORD_HISTORY) await recordHistory(sharded, 'report-web-ui-summary');
    const described = await sharded.describe();
    assert.equal(await described.staticSummary(), `range · support · ${label}`);
    assert.match((await described.staticDetails()) ?? '', new RegExp(`^${days[0] ?? ''}T00:00:00Z → ${days[2] ?? ''}T24:00:00Z|^${days[0] ?? ''}T00:00:00Z → `));
    assert.equal(described.typedSearchAttributes.get({ name: 'DifyscopeApp', type: 'KEYWORD' } as never), 'support');
    // The list's column: the summary with the outcome.
    assert.equal(summary.failed, 1);
    assert.equal(described.typedSearchAttributes.get({ name: 'DifyscopeSummary', type: 'KEYWORD' } as never), `range · support · ${label} · 18 runs · 1 failed · complete`);
    const singleSummary = (await single.describe()).typedSearchAttributes.get({ name: 'DifyscopeSummary', type: 'KEYWORD' } as never);
    assert.equal(singleSummary, `range · support · ${days[1] ?? ''} · 6 runs · 1 failed · complete`);

    // Current details: what the Web UI asks with its metadata query.
    const metadata = await sharded.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    const details = metadata.currentDetails ?? '';
    assert.ok(details.startsWith('**Done**'), details);
    assert.ok(details.includes(`- Runs: **${summary.runs}**, failed ${summary.failed}`), details);
    assert.ok(details.includes(`- ${summary.completeness.line}`), details);
    assert.ok(details.includes(`- Reports: [\`${summary.folder}\`](file://`), details);
    assert.equal(summary.runs, 18);

    // Shards: summarised as such, and found by their own attributes.
    const shardQuery = `DifyscopeApp = "support" AND DifyscopeKind = "shard"`;
    const shards = await eventually(async () => {
      const found = [];
      for await (const execution of client.workflow.list({ query: shardQuery })) found.push(execution);
      return found;
    }, (found) => found.length === 3);
    assert.equal(shards.length, 3);
    const shardSummaries = await Promise.all(shards.map(async (execution) => (await client.workflow.getHandle(execution.workflowId).describe()).staticSummary()));
    for (const [at, day] of days.entries()) assert.ok(shardSummaries.includes(`shard ${at + 1} of 3 · ${day ?? ''} · of range · support · ${label}`), JSON.stringify(shardSummaries));
    const shardColumns = shards.map((execution) => execution.searchAttributes.DifyscopeSummary?.[0]);
    assert.deepEqual([...shardColumns].sort(), [...shardSummaries].sort());

    // Finished reports are found by their outcome too.
    const complete = await eventually(async () => {
      const ids: string[] = [];
      for await (const execution of client.workflow.list({ query: `DifyscopeKind = "range" AND DifyscopeSummary = "range · support · ${label} · 18 runs · 1 failed · complete"` })) ids.push(execution.workflowId);
      return ids;
    }, (ids) => ids.length === 1);
    assert.deepEqual(complete, [`range/support/${label}`]);

    // "All range reports of app support", as the Web UI filters them.
    const reports = await eventually(async () => {
      const ids: string[] = [];
      for await (const execution of client.workflow.list({ query: `DifyscopeApp = "support" AND DifyscopeKind = "range"` })) ids.push(execution.workflowId);
      return ids.sort();
    }, (ids) => ids.length === 2);
    assert.deepEqual(reports, [`range/support/${days[1] ?? ''}`, `range/support/${label}`].sort());
    const byPeriod = await eventually(async () => {
      const ids: string[] = [];
      for await (const execution of client.workflow.list({ query: `DifyscopePeriod = "${days[1] ?? ''}"` })) ids.push(execution.workflowId);
      return ids;
    }, (ids) => ids.length === 2);
    assert.deepEqual(byPeriod.sort(), [`range/support/${days[1] ?? ''}`, `range/support/${label}/shard-${days[1] ?? ''}`].sort());
  });

  it('the Web UI workflow list shows the summaries (headless Chromium screenshot)', async () => {
    const executable = ['chromium', 'chromium-browser', 'google-chrome'].map((name) => spawnSync('which', [name], { encoding: 'utf8' }).stdout.trim()).find(Boolean);
    assert.ok(executable, 'headless Chromium is needed: apt-get install -y chromium');
    const browser = await playwright.launch({ executablePath: executable, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
      // The columns an operator picks once under "Configure columns" (the Web UI keeps them in
      // local storage): status, the summary, app, kind, id, end.
      const columns = { default: ['Status', 'DifyscopeSummary', 'DifyscopeApp', 'DifyscopeKind', 'Workflow ID', 'End'].map((label) => ({ label })) };
      await page.addInitScript(`window.localStorage.setItem('namespace-workflow-table-columns', ${JSON.stringify(JSON.stringify(columns))});`);
      await page.goto(`http://127.0.0.1:${uiPort}/namespaces/default/workflows`);
      const label = `${days[0] ?? ''}_${days[2] ?? ''}`;
      const finished = `range · support · ${label} · 18 runs · 1 failed · complete`;
      await page.getByText(finished, { exact: true }).first().waitFor({ timeout: 60_000 });
      await page.getByText(`shard 1 of 3 · ${days[0] ?? ''} · of range · support · ${label}`, { exact: true }).first().waitFor({ timeout: 60_000 });
      const png = path.join(outputDir, 'web-ui.png');
      await page.screenshot({ path: png });
      assert.ok(statSync(png).size > 30_000, 'a screenshot with content');
      mkdirSync(path.dirname(DOCS_SHOT), { recursive: true });
      copyFileSync(png, DOCS_SHOT);
    } finally {
      await browser.close();
    }
  });
});
