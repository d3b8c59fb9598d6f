import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { DetailCollection, LogCollection, ReportPlan } from '../common/contracts';
import { collectLogPages } from '../activities/collect-logs';
import { collectRunDetails } from '../activities/collect-details';
import { DifyClient } from '../activities/dify/client';
import { readNdjsonGz, resolveInside } from '../activities/storage';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import { API_TOKEN, makeStore } from './fixtures/dify-store';

/**
 * Detail collection is fenced per attempt: a timed-out attempt that keeps running writes only
 * chunks named for itself, so it never replaces or deletes what a newer attempt saved, and a
 * retried attempt resumes from exactly the chunks the heartbeat names.
 */

// 2025-03-01T00:00:00Z: 600 runs, one every two minutes, so three chunks of 250, 250 and 100.
const FROM_S = 1740787200;
const RUNS = 600;

const plan: ReportPlan = {
  app: 'support',
  appName: 'Support',
  window: { kind: 'range', from: '2025-03-01T00:00:00Z', to: '2025-03-02T00:00:00Z', timezone: 'UTC', label: '2025-03-01' },
  level: 'details',
  formats: ['csv'],
  locale: 'en',
  folder: 'support/range/2025-03-01',
  workDir: '.work/support/fencing',
  previousFolder: 'support/range/2025-02-28',
};

describe('detail collection fenced per attempt', () => {
  let server: RunningDifyServer;
  let client: DifyClient;
  let outputDir: string;
  let logs: LogCollection;

  const detailRequests = (): number => server.requests.filter((request) => request.path.startsWith('/v1/workflows/run/')).length;
  const details = (env: MockActivityEnvironment): Promise<DetailCollection> => env.run(() => collectRunDetails(client, outputDir, plan, logs.file, 4));
  const chunkDir = async (): Promise<string> => {
    const root = resolveInside(outputDir, `${plan.workDir}/detail-chunks`);
    const runs = await readdir(root);
    assert.equal(runs.length, 1, 'one folder per workflow run');
    return path.join(root, runs[0] ?? '');
  };
  const chunkFiles = async (): Promise<string[]> => (await readdir(await chunkDir())).sort();
  const ids = async (file: string): Promise<string[]> => {
    const found: string[] = [];
    for await (const record of readNdjsonGz(resolveInside(outputDir, file))) found.push((record as { log: { id: string } }).log.id);
    return found;
  };

  before(async () => {
    outputDir = await mkdtemp(path.join(tmpdir(), 'difyscope-fencing-'));
    server = await startDifyServer({ store: makeStore(Array.from({ length: RUNS }, (_, n) => FROM_S + 60 + n * 120)), profile: 'cookie' });
    client = new DifyClient({ baseUrl: server.url, apiToken: API_TOKEN, consoleAuth: 'auto', timeoutMs: 5000, maxRetries: 3, retryBaseDelayMs: 5 });
    logs = await new MockActivityEnvironment({ attempt: 1 }).run(() => collectLogPages(client, outputDir, plan));
    assert.equal(logs.fetched, RUNS);
  });

  after(async () => {
    await client.close();
    await server.close();
    await rm(outputDir, { recursive: true, force: true });
  });

  it('an older attempt that runs on never replaces or deletes the newer attempt’s chunks', { timeout: 60_000 }, async () => {
    const newer = await details(new MockActivityEnvironment({ attempt: 3 }));
    assert.equal(newer.runs, RUNS);
    const newerChunks = await chunkFiles();
    const dir = await chunkDir();
    const files = [...newerChunks.map((name) => path.join(dir, name)), resolveInside(outputDir, newer.file)];
    const snapshot = new Map<string, Buffer>();
    for (const file of files) snapshot.set(file, await readFile(file));

    // The stale attempt 2 runs its whole course afterwards, in the same folder.
    const stale = await details(new MockActivityEnvironment({ attempt: 2 }));
    assert.notEqual(stale.file, newer.file);
    const after = await chunkFiles();
    for (const [file, bytes] of snapshot) assert.ok((await readFile(file)).equals(bytes), `${path.basename(file)} unchanged`);
    assert.equal(after.filter((name) => name.includes('-a2.')).length, 6, 'the stale attempt wrote three chunks of its own (records and counts)');
    assert.deepEqual((await ids(newer.file)).sort(), (await ids(stale.file)).sort());
    assert.equal(new Set(await ids(newer.file)).size, RUNS);
  });

  it('a retried attempt resumes from exactly the chunks its heartbeat names', { timeout: 60_000 }, async () => {
    const saved = (await chunkFiles()).filter((name) => name.includes('-a3.') && name.endsWith('.json')).map((name) => name.replace(/\.json$/, ''));
    assert.equal(saved.length, 3);
    const before = detailRequests();
    const resumed = await details(new MockActivityEnvironment({ attempt: 4, heartbeatDetails: { chunksDone: 2, chunks: saved.slice(0, 2) } }));
    assert.equal(detailRequests() - before, RUNS - 500, 'only the runs of the chunk not saved are asked for');
    assert.equal(resumed.runs, RUNS);
    assert.equal(new Set(await ids(resumed.file)).size, RUNS);

    // A heartbeat naming a chunk that is not on disk is not trusted: the attempt starts afresh.
    const again = detailRequests();
    const fresh = await details(new MockActivityEnvironment({ attempt: 5, heartbeatDetails: { chunksDone: 1, chunks: ['chunk-00000.gone-a9'] } }));
    assert.equal(detailRequests() - again, RUNS);
    assert.equal(fresh.runs, RUNS);
  });
});
