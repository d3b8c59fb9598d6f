import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exchanges, shape, type Exchange } from '../fixtures/real-dify/exchanges';
import { liveDify, type LiveDify } from './harness';

/**
 * The recorded fixtures (test/fixtures/real-dify/exchanges.json) still describe the real
 * server: same statuses, headers and shapes, exact error envelopes. `DIFY_RECORD_FIXTURES=1`
 * rewrites them from this server instead.
 */

const FILE = path.join(__dirname, '..', 'fixtures', 'real-dify', 'exchanges.json');

describe('real Dify: the recorded fixtures match the server', () => {
  let live: LiveDify;

  before(async () => {
    live = await liveDify();
  });

  it('every exchange has the recorded status, headers and shape', async () => {
    const succeeded = live.seed.workflowRuns.find((run) => run.status === 'succeeded');
    const failed = live.seed.workflowRuns.find((run) => run.status === 'failed' && run.branch === 'fail_refused');
    assert.ok(succeeded && failed);
    const now = await exchanges({ ...live.seed, succeededRunId: succeeded.id, failedRunId: failed.id });
    if (process.env.DIFY_RECORD_FIXTURES === '1') {
      await writeFile(FILE, `${JSON.stringify({ server: now[0]?.headers['x-version'], exchanges: now }, null, 1)}\n`);
      return;
    }
    const recorded = (JSON.parse(await readFile(FILE, 'utf8')) as { exchanges: Exchange[] }).exchanges;
    assert.deepEqual(now.map((e) => e.name), recorded.map((e) => e.name));
    for (const [i, want] of recorded.entries()) {
      const got = now[i];
      assert.ok(got);
      assert.deepEqual({ status: got.status, headers: got.headers, setCookies: got.setCookies }, { status: want.status, headers: want.headers, setCookies: want.setCookies }, want.name);
      assert.deepEqual(shape(got.body), shape(want.body), want.name);
      if (want.exact) assert.deepEqual(got.body, want.body, want.name);
    }
  });
});
