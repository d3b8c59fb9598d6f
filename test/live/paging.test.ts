import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import type { LogCollection, ReportPlan } from '../../common/contracts';
import { collectLogPages } from '../../activities/collect-logs';
import { DifyClient } from '../../activities/dify/client';
import { readNdjsonGz, resolveInside } from '../../activities/storage';
import { liveDify, type LiveDify } from './harness';
import { seedDify } from './real-dify';

/**
 * Lossless paging against the real Dify: bursts of concurrent runs finish in the same
 * seconds (PostgreSQL keeps microseconds, the API shows whole seconds, the listing orders by
 * `created_at` alone), and the collected set must equal the set of runs Dify made — by the
 * run ids its own answers gave — and its `total`. Collected with Dify's page size and with
 * pages of 5, so that many seconds hold more runs than a page and are paged on their own.
 *
 * Uses apps of its own (seedDify): the shared seeded apps must keep their exact runs.
 */

const BURSTS = 5;
const BURST_SIZE = 40;

interface OwnApp {
  url: string;
  apiKey: string;
  /** Every run id Dify answered with: the seeded runs and the bursts. */
  runIds: Set<string>;
  earliest: number;
}

/** One blocking run; its workflow's HTTP nodes point at seed.py's mock upstream, gone by now, so it fails fast: a failed run is a run. */
async function run(app: OwnApp, n: number, statuses: Map<number, number>): Promise<string | null> {
  const response = await fetch(`${app.url}/v1/workflows/run`, {
    method: 'POST',
    headers: { authorization: `Bearer ${app.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: { query: `burst question ${n}` }, response_mode: 'blocking', user: `burst-user-${n % 7}` }),
  });
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  const body = (await response.json().catch(() => ({}))) as { workflow_run_id?: string };
  return response.status === 200 && typeof body.workflow_run_id === 'string' ? body.workflow_run_id : null;
}

function planFor(from: number, to: number, workDir: string): ReportPlan {
  const iso = (seconds: number): string => DateTime.fromSeconds(seconds, { zone: 'utc' }).toISO({ suppressMilliseconds: true }) ?? '';
  return {
    app: 'live-paging',
    appName: 'Live paging',
    window: { kind: 'range', from: iso(from), to: iso(to), timezone: 'UTC', label: 'live' },
    level: 'logs',
    formats: ['csv'],
    locale: 'en',
    folder: 'live-paging/range/live',
    workDir,
    previousFolder: 'live-paging/range/earlier',
  };
}

describe('lossless log paging on a real Dify, with bursts of runs in the same second', () => {
  let live: LiveDify;
  let app: OwnApp;
  let outputDir: string;
  const clients: DifyClient[] = [];

  before(async () => {
    live = await liveDify();
    const seed = JSON.parse(await readFile(await seedDify(live.url), 'utf8')) as { workflowApiKey: string; workflowRuns: { id: string | null; runCreatedAt: number | null }[] };
    const runIds = new Set(seed.workflowRuns.flatMap((seeded) => (seeded.id ? [seeded.id] : [])));
    const earliest = Math.min(...seed.workflowRuns.flatMap((seeded) => (seeded.runCreatedAt ? [seeded.runCreatedAt] : [])));
    app = { url: live.url, apiKey: seed.workflowApiKey, runIds, earliest };
    const statuses = new Map<number, number>();
    for (let burst = 0; burst < BURSTS; burst += 1) {
      const ids = await Promise.all(Array.from({ length: BURST_SIZE }, (_, n) => run(app, burst * BURST_SIZE + n, statuses)));
      for (const id of ids) if (id) app.runIds.add(id);
    }
    // A run Dify refused (an overloaded server answers 5xx) is in neither set; one it made is in both.
    process.stderr.write(`live paging: ${BURSTS} bursts of ${BURST_SIZE} concurrent runs, answers by status ${JSON.stringify(Object.fromEntries(statuses))}\n`);
    outputDir = await mkdtemp(path.join(tmpdir(), 'difyscope-live-paging-'));
  });

  after(async () => {
    for (const client of clients) await client.close();
  });

  async function collect(pageSize: number, workDir: string): Promise<{ result: LogCollection; runIds: string[]; perSecond: Map<number, number> }> {
    const client = new DifyClient({ baseUrl: app.url, apiToken: app.apiKey, consoleAuth: 'auto', timeoutMs: 30_000, maxRetries: 3 });
    clients.push(client);
    // The window: from before the first seeded run to a few seconds after the last burst ended.
    const plan = planFor(app.earliest - 5, Math.ceil(Date.now() / 1000) + 5, workDir);
    const result = await new MockActivityEnvironment().run(async (): Promise<LogCollection> => collectLogPages(client, outputDir, plan, { pageSize }));
    const runIds: string[] = [];
    const perSecond = new Map<number, number>();
    for await (const value of readNdjsonGz(resolveInside(outputDir, result.file))) {
      const record = value as { created_at: number; workflow_run: { id: string } | null };
      if (record.workflow_run) runIds.push(record.workflow_run.id);
      perSecond.set(record.created_at, (perSecond.get(record.created_at) ?? 0) + 1);
    }
    return { result, runIds, perSecond };
  }

  for (const pageSize of [100, 5]) {
    it(`pages of ${pageSize}: the collected runs are exactly the runs Dify made, each once (0 lost, 0 doubled)`, { timeout: 600_000 }, async () => {
      const { result, runIds, perSecond } = await collect(pageSize, `.work/live-paging-${pageSize}`);
      const busiest = Math.max(...perSecond.values());
      const crowded = [...perSecond.values()].filter((count) => count > pageSize).length;
      process.stderr.write(
        `live paging, pages of ${pageSize}: ${app.runIds.size} runs made, ${result.fetched} collected, Dify's count ${result.expected}; ` +
          `${perSecond.size} distinct seconds, busiest holds ${busiest}, ${crowded} seconds hold more than a page; ${result.pages} answers\n`,
      );
      assert.equal(runIds.length, new Set(runIds).size, 'a run collected twice');
      const lost = [...app.runIds].filter((id) => !runIds.includes(id));
      const extra = runIds.filter((id) => !app.runIds.has(id));
      assert.deepEqual({ lost: lost.length, extra: extra.length }, { lost: 0, extra: 0 });
      assert.deepEqual([result.expected, result.fetched, result.duplicates, result.invalid], [app.runIds.size, app.runIds.size, 0, 0]);
      // The bursts really did put many runs in one second.
      assert.ok(busiest >= 10, `busiest second holds only ${busiest} runs`);
      if (pageSize === 5) assert.ok(crowded > 0, 'no second held more runs than a page');
    });
  }
});
