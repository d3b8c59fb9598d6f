import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import { loadSettings, type Settings } from '../config/load';
import { prepareReport, startReport } from '../client/report';
import { openStore, type ObjectStore } from '../activities/store';
import { SharedFolders } from '../activities/store/sync';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import { fixtureEnv, fixtureStore, type FixtureRun } from './fixtures/store-builder';
import { startSmtpServer, type TestSmtpServer, emailToTestServer } from './helpers/smtp';
import { startS3Server, type S3Server } from './helpers/s3-server';
import { startTemporal, uniqueTaskQueue } from './helpers/temporal';
import { startTestWorker, type RunningWorker } from './helpers/worker';

/** Two weeks of runs (Asia/Shanghai): 3 in the week of 2025-02-24, 5 in the week of 2025-03-03. */
const RUNS: FixtureRun[] = [
  { n: 1, at: '2025-02-25T09:00:00+08:00', user: 'alice', elapsed: 2, tokens: 100 },
  { n: 2, at: '2025-02-26T10:00:00+08:00', user: 'bob', elapsed: 1, tokens: 50 },
  { n: 3, at: '2025-03-02T23:59:59+08:00', user: 'alice', elapsed: 1, tokens: 10 },
  { n: 4, at: '2025-03-03T00:00:00+08:00', user: 'alice', elapsed: 2, tokens: 200 },
  { n: 5, at: '2025-03-04T10:00:00+08:00', user: 'bob', status: 'failed', elapsed: 1, tokens: 0, error: 'Timeout after 30s' },
  { n: 6, at: '2025-03-05T11:00:00+08:00', user: 'carol', elapsed: 3, tokens: 300 },
  { n: 7, at: '2025-03-07T12:00:00+08:00', user: 'dave', elapsed: 4, tokens: 400 },
  { n: 8, at: '2025-03-09T23:59:59+08:00', user: 'carol', elapsed: 1, tokens: 100 },
];

interface Backend {
  name: string;
  env(): Record<string, string>;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
}

let s3: S3Server | undefined;
const sharedFolder = mkdtempSync(path.join(tmpdir(), 'difyscope-shared-'));
const backends: Backend[] = [
  { name: 'local folder (file://)', env: () => ({ OUTPUT_URL: `file://${sharedFolder}` }) },
  {
    name: 'S3-compatible server (SeaweedFS)',
    env: () => ({ ...(s3 as S3Server).env(`run-${process.pid}`), REPORT_LINK_EXPIRY: '1h' }),
    setup: async () => {
      s3 = await startS3Server();
    },
    teardown: async () => {
      await s3?.close();
    },
  },
];

for (const backend of backends) {
  describe(`shared storage: ${backend.name}`, () => {
    let env: TestWorkflowEnvironment;
    let dify: RunningDifyServer;
    let smtp: TestSmtpServer;
    let store: ObjectStore;
    const scratch = [mkdtempSync(path.join(tmpdir(), 'difyscope-scratch-a-')), mkdtempSync(path.join(tmpdir(), 'difyscope-scratch-b-'))];
    const taskQueue = uniqueTaskQueue('store');
    let settingsOf: (scratchDir: string) => Settings;

    before(async () => {
      await backend.setup?.();
      env = await startTemporal();
      smtp = await startSmtpServer();
      dify = await startDifyServer({ store: fixtureStore(RUNS), profile: 'cookie' });
      settingsOf = (scratchDir) =>
        loadSettings({
          ...fixtureEnv(dify.url),
          ...backend.env(),
          APP_KEY: 'support',
          REPORT_TIMEZONE: 'Asia/Shanghai',
          OUTPUT_DIR: scratchDir,
          TEMPORAL_TASK_QUEUE: taskQueue,
          ...emailToTestServer(smtp),
        });
      const settings = settingsOf(scratch[0] as string);
      assert.ok(settings.storage);
      store = openStore(settings.storage, 0o600);
    });
    after(async () => {
      store?.close();
      await dify?.close();
      await smtp?.close();
      await env?.teardown();
      await backend.teardown?.();
    });

    it('stores, lists, replaces and removes objects', async () => {
      await store.put('probe/a/one.txt', 'one');
      await store.put('probe/a/two.txt', Buffer.from('two'));
      await store.put('probe/b.txt', 'b');
      await store.put('probe/a/one.txt', 'one, replaced');
      assert.equal((await store.get('probe/a/one.txt'))?.toString(), 'one, replaced');
      assert.equal(await store.get('probe/missing.txt'), undefined);
      assert.deepEqual(await store.list('probe'), [
        { key: 'probe/a/one.txt', size: 13 },
        { key: 'probe/a/two.txt', size: 3 },
        { key: 'probe/b.txt', size: 1 },
      ]);
      assert.deepEqual(await store.list('probe/a'), [
        { key: 'probe/a/one.txt', size: 13 },
        { key: 'probe/a/two.txt', size: 3 },
      ]);
      await store.removeAll('probe/a');
      assert.deepEqual(await store.list('probe'), [{ key: 'probe/b.txt', size: 1 }]);
      await store.removeAll('probe');
      assert.deepEqual(await store.list('probe'), []);
    });

    it('a reader gets one version of a report folder, never a mixture, while it is republished', async () => {
      const writer = mkdtempSync(path.join(tmpdir(), 'difyscope-writer-'));
      const reader = mkdtempSync(path.join(tmpdir(), 'difyscope-reader-'));
      const folder = 'mixture/range/2025-03-01';
      const write = (name: string, body: string) => {
        mkdirSync(path.join(writer, folder), { recursive: true });
        writeFileSync(path.join(writer, folder, name), body);
      };
      try {
        const publisher = new SharedFolders(store, writer, 0o600);
        write('report.md', 'v1 md');
        write('report.json', 'v1 json');
        await publisher.publish(folder);
        // Mid-republish: one file of v2 is up, the manifest still names v1's.
        await store.put(`${folder}/report.md`, 'v2 md, longer');
        const fetching = new SharedFolders(store, reader, 0o600).fetchPublished(folder, ['report.md', 'report.json']);
        // The republication completes while the reader waits to read again.
        write('report.md', 'v2 md, longer');
        write('report.json', 'v2 json');
        await publisher.publish(folder);
        await fetching;
        assert.equal(readFileSync(path.join(reader, folder, 'report.md'), 'utf8'), 'v2 md, longer');
        assert.equal(readFileSync(path.join(reader, folder, 'report.json'), 'utf8'), 'v2 json');
        // A folder that never settles fails the step (retried by Temporal) instead of mixing versions.
        await store.put(`${folder}/report.json`, 'neither version');
        await assert.rejects(new SharedFolders(store, mkdtempSync(path.join(tmpdir(), 'difyscope-reader-')), 0o600).fetchPublished(folder, ['report.json']), /its files kept changing while being read/);
      } finally {
        await store.removeAll('mixture');
        rmSync(writer, { recursive: true, force: true });
        rmSync(reader, { recursive: true, force: true });
      }
    });

    it('two workers with separate scratch folders: week reports exact, the previous week found in the store, notified once', { timeout: 240_000 }, async () => {
      const workers: RunningWorker[] = [];
      const connections: NativeConnection[] = [];
      try {
        // Separate connections: as two hosts would have (one connection may not hold two workers of a queue).
        for (const dir of scratch) {
          const connection = await NativeConnection.connect({ address: env.address });
          connections.push(connection);
          workers.push(await startTestWorker(env, settingsOf(dir), { connection }));
        }
        const settings = settingsOf(scratch[0] as string);
        const first = await (await startReport(env.client, settings, prepareReport(settings, { from: '2025-02-24', to: '2025-03-02' }))).result();
        assert.deepEqual([first.runs, first.succeeded, first.failed, first.users, first.totalTokens], [3, 3, 0, 2, 160]);
        // Nothing left on either worker's disk: the second week must find the first in the store.
        for (const dir of scratch) {
          rmSync(dir, { recursive: true, force: true });
        }
        const second = await (await startReport(env.client, settings, prepareReport(settings, { from: '2025-03-03', to: '2025-03-09', notify: true }))).result();
        assert.deepEqual([second.runs, second.succeeded, second.failed, second.users, second.totalTokens], [5, 4, 1, 4, 1000]);
        assert.equal(second.completeness.complete, true);

        const folder = 'support/range/2025-03-03_2025-03-09';
        // The summary names the report where every worker and reader finds it, not a worker's local copy.
        assert.equal(second.folder, store.location(folder));
        const manifest = JSON.parse((await store.get(`${folder}/.complete.json`))?.toString() ?? '{}') as { files: { name: string }[] };
        const names = manifest.files.map((file) => file.name);
        for (const expected of ['overview.csv', 'daily.csv', 'users.csv', 'report.json', 'report.md', 'report.html']) assert.ok(names.includes(expected), `${expected} not in ${names.join(', ')}`);
        const report = JSON.parse((await store.get(`${folder}/report.json`))?.toString() ?? '{}') as { figures?: { runs?: number }; changes?: unknown };
        assert.equal(report.figures?.runs, 5);
        assert.ok(report.changes, 'report.json compares with the previous week, read from the store');
        // The scratch data of both reports is gone from the store once they finished.
        assert.deepEqual(await store.list('.work'), []);
        // One e-mail, and its ledger record in the store where every worker sees it.
        assert.equal(smtp.messages.length, 1);
        const ledger = (await store.list('.notifications')).map((object) => object.key);
        assert.equal(ledger.filter((key) => key.endsWith('.email.sent.json')).length, 1);
        if (backend.name.startsWith('S3')) {
          // REPORT_LINK_EXPIRY: the message links to report.html and the CSV files; the links work without credentials.
          const text = smtp.messages[0]?.parsed.text ?? '';
          const html = /\[report\.html\]\((http[^)]+)\)/.exec(text)?.[1];
          assert.ok(html, `no report.html link in: ${text.slice(-600)}`);
          assert.match(text, /\[overview\.csv\]\(http/);
          // The HTML body carries the same links, at its top.
          const body = smtp.messages[0]?.parsed.html || '';
          const block = /<p class="report-links">Report files \(links valid until [^)]+\): (.*)<\/p>/.exec(body)?.[1] ?? '';
          assert.match(block, /<a href="http[^"]+">report\.html<\/a>/, body.slice(0, 2000));
          assert.match(block, /<a href="http[^"]+">overview\.csv<\/a>/);
          const linked = await fetch(html);
          assert.equal(linked.status, 200);
          assert.equal(await linked.text(), (await store.get(`${folder}/report.html`))?.toString());
        }
      } finally {
        for (const worker of workers) await worker.stop();
        for (const connection of connections) await connection.close();
      }
    });

    if (backend.name.startsWith('S3')) {
      it('a presigned link serves the object without credentials until it expires', async () => {
        await store.put('links/report.html', '<h1>report</h1>');
        assert.ok(store.link);
        const url = await store.link('links/report.html', 60);
        const response = await fetch(url);
        assert.equal(response.status, 200);
        assert.equal(await response.text(), '<h1>report</h1>');
        const unsigned = await fetch(url.split('?')[0] as string);
        assert.notEqual(unsigned.status, 200);
      });
    }
  });
}
