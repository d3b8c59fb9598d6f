import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import { exchanges, shape, type Exchange } from './fixtures/real-dify/exchanges';
import { FIXTURE_APP_ID, FIXTURE_CONSOLE, FIXTURE_TOKEN, fixtureStore } from './fixtures/store-builder';

/**
 * The simulator's 1.14.1 profile answers what a real Dify 1.14.1 answered when the fixtures
 * were recorded (test/fixtures/real-dify/exchanges.json, kept true by test/live/fixtures.test.ts):
 * same status codes and headers (X-Version on every answer), same shapes, same error envelopes.
 */

const CHAT_TOKEN = 'app-fixture-chat-0002';

describe('simulator profile 1.14.1 follows the real server', () => {
  let dify: RunningDifyServer;
  let recorded: Exchange[];

  before(async () => {
    const store = fixtureStore([
      { n: 1, at: '2026-12-01T10:00:00Z', user: 'alice', elapsed: 1, tokens: 0 },
      { n: 2, at: '2026-12-01T10:00:05Z', user: 'bob', elapsed: 1, tokens: 0, status: 'failed', error: '[Errno 111] Connection refused' },
    ]);
    store.apps.push({ id: '0b6f2c1e-3a4d-4e5f-8a9b-000000000002', name: 'Chat', mode: 'advanced-chat', apiToken: CHAT_TOKEN, status: 'normal', enableApi: true, logs: [] });
    dify = await startDifyServer({ store, profile: '1.14.1' });
    recorded = (JSON.parse(await readFile(path.join(__dirname, 'fixtures', 'real-dify', 'exchanges.json'), 'utf8')) as { exchanges: Exchange[] }).exchanges;
  });

  after(async () => {
    await dify?.close();
  });

  it('same statuses, headers, shapes and error envelopes as the recording', async () => {
    const simulated = await exchanges({
      url: dify.url,
      workflowApiKey: FIXTURE_TOKEN,
      chatApiKey: CHAT_TOKEN,
      workflowAppId: FIXTURE_APP_ID,
      succeededRunId: '22222222-0000-4000-8000-000000000001',
      failedRunId: '22222222-0000-4000-8000-000000000002',
      consoleEmail: FIXTURE_CONSOLE.email,
      consolePassword: FIXTURE_CONSOLE.password,
    });
    assert.deepEqual(simulated.map((e) => e.name), recorded.map((e) => e.name));
    const mismatches: string[] = [];
    for (const [i, real] of recorded.entries()) {
      const sim = simulated[i];
      if (!sim) continue;
      const check = (what: string, a: unknown, b: unknown): void => {
        try {
          assert.deepEqual(a, b);
        } catch {
          mismatches.push(`${real.name}: ${what} ${JSON.stringify(a)} instead of ${JSON.stringify(b)}`);
        }
      };
      check('status', sim.status, real.status);
      check('headers', sim.headers, real.headers);
      check('cookies', sim.setCookies, real.setCookies);
      check('shape', shape(sim.body), shape(real.body));
      if (real.exact) check('body', sim.body, real.body);
    }
    assert.deepEqual(mismatches, []);
  });
});
