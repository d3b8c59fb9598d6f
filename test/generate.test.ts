import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DateTime } from 'luxon';
import { generateDemoStore, generateRuns, iterateRuns, type GenerateOptions } from '../simulator/generate';
import type { DifyStore, SimulatedLog } from '../simulator/store';

/** Every run walks this path (optional code / http-request nodes aside), as far as it got. */
const CORE_PATH = ['start', 'knowledge-retrieval', 'llm', 'end'];
const SHANGHAI: GenerateOptions = { date: '2025-03-10', timezone: 'Asia/Shanghai', seed: 42 };

function logsOf(store: DifyStore): SimulatedLog[] {
  const app = store.apps[0];
  assert.ok(app, 'the store has an app');
  return app.logs;
}

/** Computed here with luxon, independently of the generator's own helper. */
function dayWindow(date: string, zone: string): [number, number] {
  const start = DateTime.fromISO(date, { zone }).startOf('day');
  return [start.toSeconds(), start.plus({ days: 1 }).startOf('day').toSeconds()];
}

function assertInside(logs: readonly SimulatedLog[], [start, end]: [number, number]): void {
  for (const log of logs) {
    assert.ok(log.created_at >= start && log.created_at < end, `run ${log.run.id} at ${log.created_at} is outside [${start}, ${end})`);
    assert.equal(log.run.created_at, log.created_at);
  }
}

function tokensOf(log: SimulatedLog): number {
  return log.nodes.reduce((sum, n) => sum + (n.execution_metadata?.total_tokens ?? 0), 0);
}

void test('the same options give an identical store, another seed a different one', () => {
  assert.deepEqual(generateDemoStore(SHANGHAI), generateDemoStore(SHANGHAI));
  assert.equal(JSON.stringify(generateDemoStore(SHANGHAI)), JSON.stringify(generateDemoStore({ ...SHANGHAI })));
  assert.notDeepEqual(generateDemoStore(SHANGHAI), generateDemoStore({ ...SHANGHAI, seed: 43 }));
});

void test('every run of an Asia/Shanghai day starts inside that local day', () => {
  const logs = logsOf(generateDemoStore(SHANGHAI));
  assert.equal(logs.length, 240);
  assertInside(logs, dayWindow(SHANGHAI.date, SHANGHAI.timezone));
});

void test('a DST day in Europe/Berlin (23 hours) holds every run, up to its last local hour', () => {
  const window = dayWindow('2025-03-30', 'Europe/Berlin');
  assert.equal(window[1] - window[0], 23 * 3600);
  const logs = logsOf(generateDemoStore({ date: '2025-03-30', timezone: 'Europe/Berlin', seed: 7, runs: 2000 }));
  assertInside(logs, window);
  const lateHours = logs.filter((l) => DateTime.fromSeconds(l.created_at, { zone: 'Europe/Berlin' }).hour === 23);
  assert.ok(lateHours.length > 0, 'the end of the day is not cut an hour short');
});

void test('run totals agree with their node executions', () => {
  for (const seed of [1, 42, 99]) {
    for (const log of logsOf(generateDemoStore({ ...SHANGHAI, seed }))) {
      const { run, nodes } = log;
      assert.equal(run.total_tokens, tokensOf(log), `tokens of ${run.id}`);
      assert.equal(run.total_steps, nodes.length);
      const nodeSeconds = nodes.reduce((sum, n) => sum + n.elapsed_time, 0);
      assert.ok(run.elapsed_time >= nodeSeconds, `elapsed of ${run.id}: ${run.elapsed_time} < ${nodeSeconds}`);
      assert.equal(run.finished_at, run.created_at + Math.ceil(run.elapsed_time));
      assert.equal(run.inputs['sys.workflow_run_id'], run.id);
      nodes.forEach((node, i) => {
        assert.equal(node.index, i + 1);
        assert.equal(node.predecessor_node_id, i === 0 ? null : nodes[i - 1]?.node_id);
        assert.ok(node.created_at >= run.created_at && (node.finished_at ?? 0) <= (run.finished_at ?? 0));
      });
      const core = nodes.map((n) => n.node_type).filter((t) => t !== 'code' && t !== 'http-request');
      assert.deepEqual(core, CORE_PATH.slice(0, core.length), `graph of ${run.id}`);
      if (run.status === 'failed') {
        assert.equal(run.outputs, null);
        assert.ok(run.error && nodes.some((n) => n.status === 'failed' && n.error === run.error));
      } else if (run.status === 'stopped') {
        assert.equal(run.outputs, null);
      } else {
        assert.equal(typeof run.outputs?.text, 'string');
        assert.equal(nodes.at(-1)?.node_type, 'end');
      }
      assert.equal(run.exceptions_count, nodes.filter((n) => n.status === 'exception').length);
      if (run.status === 'partial-succeeded') assert.ok(run.exceptions_count > 0);
    }
  }
});

void test('2-10% of runs fail, with a handful of distinct errors; a stopped and a partial run each day', () => {
  for (const seed of [1, 2, 3, 42, 2025]) {
    const logs = logsOf(generateDemoStore({ ...SHANGHAI, seed }));
    const failed = logs.filter((l) => l.run.status === 'failed');
    const share = failed.length / logs.length;
    assert.ok(share >= 0.02 && share <= 0.1, `seed ${seed}: failure share ${share}`);
    assert.ok(logs.some((l) => l.run.status === 'stopped'), 'a stopped run');
    assert.ok(logs.some((l) => l.run.status === 'partial-succeeded' && l.run.exceptions_count > 0), 'a partial-succeeded run');
  }
  const errors = generateRuns({ ...SHANGHAI, runs: 3000 }).flatMap((l) => (l.run.error ? [l.run.error] : []));
  const kinds = new Set(errors.map((e) => e.replace(/\d+/g, '#').slice(0, 40)));
  assert.ok(kinds.size >= 4 && kinds.size <= 10, `distinct error kinds: ${[...kinds].join(' | ')}`);
  assert.ok(new Set(errors).size > kinds.size, 'messages of one kind differ in their numbers');
});

void test('questions in Chinese and English, some with attachments, commas, quotes or newlines', () => {
  const logs = logsOf(generateDemoStore(SHANGHAI));
  const questions = logs.map((l) => String(l.run.inputs.query));
  assert.ok(questions.some((q) => /[\u4e00-\u9fff]/.test(q)), 'a Chinese question');
  assert.ok(questions.some((q) => /^[\x20-\x7e\n]+$/.test(q) && /[a-z]{3}/i.test(q)), 'an English question');
  assert.ok(questions.some((q) => /[,"\n]/.test(q)), 'a question that needs CSV quoting');
  const files = logs.flatMap((l) => l.run.inputs['sys.files'] as { filename: string; extension: string }[]);
  assert.ok(files.length > 0 && files.every((f) => f.filename.length > 0 && /^\.[a-z]+$/.test(f.extension)));
  for (const log of logs) {
    for (const key of ['query', 'sys.user_id', 'sys.files', 'sys.app_id', 'sys.workflow_id', 'sys.workflow_run_id']) {
      assert.ok(key in log.run.inputs, `inputs.${key}`);
    }
  }
});

void test('retrieval and LLM nodes look like Dify records', () => {
  const logs = logsOf(generateDemoStore(SHANGHAI));
  const items = logs.flatMap((l) => l.nodes.filter((n) => n.node_type === 'knowledge-retrieval'))
    .map((n) => n.outputs?.result as { content: string; metadata: { dataset_name: string; document_name: string; score: number; position: number } }[]);
  for (const result of items) {
    assert.ok(result.length >= 1 && result.length <= 4);
    result.forEach((item, i) => {
      assert.equal(item.metadata.position, i + 1);
      assert.ok(item.metadata.score >= 0.3 && item.metadata.score <= 0.95);
      assert.ok(item.metadata.document_name && item.content);
    });
  }
  assert.ok(items.flat().some((i) => i.metadata.dataset_name.endsWith('...')), 'a dataset name cut short');
  const meta = logs.flatMap((l) => l.nodes.filter((n) => n.node_type === 'llm' && n.execution_metadata).map((n) => n.execution_metadata));
  assert.deepEqual(new Set(meta.map((m) => m?.currency)), new Set(['USD', 'RMB']));
  assert.ok(meta.some((m) => typeof m?.total_price === 'number'));
  assert.ok(meta.some((m) => typeof m?.total_price === 'string' && /^\d+\.\d{7}$/.test(m.total_price)));
});

void test('a realistic day: ~25 users, a console account, a diurnal curve and a latency tail', () => {
  const store = generateDemoStore({ ...SHANGHAI, appId: 'app-uuid', apiToken: 'app-token', appName: 'Bot', consoleUser: { email: 'ops@corp.example', password: 'pw' } });
  const app = store.apps[0];
  assert.ok(app);
  assert.deepEqual([app.id, app.apiToken, app.name, app.mode], ['app-uuid', 'app-token', 'Bot', 'workflow']);
  assert.equal(store.consoleUsers[0]?.email, 'ops@corp.example');
  const logs = app.logs;
  assert.ok(logs.every((l) => l.run.inputs['sys.app_id'] === 'app-uuid'));
  const endUsers = new Set(logs.flatMap((l) => (l.created_by_end_user ? [l.created_by_end_user.session_id] : [])));
  assert.ok(endUsers.size >= 18 && endUsers.size <= 25, `distinct end users: ${endUsers.size}`);
  assert.ok(endUsers.has('DEFAULT-USER'));
  assert.deepEqual(new Set(logs.map((l) => l.created_by_end_user?.type).filter(Boolean)), new Set(['service_api', 'browser']));
  const byAccount = logs.filter((l) => l.created_by_role === 'account');
  assert.ok(byAccount.length >= 2 && byAccount.every((l) => l.created_by_account?.email === 'ops@corp.example' && l.created_from === 'installed-app'));
  assert.deepEqual(new Set(logs.map((l) => l.created_from)), new Set(['service-api', 'web-app', 'installed-app']));

  const hour = (l: SimulatedLog) => DateTime.fromSeconds(l.created_at, { zone: SHANGHAI.timezone }).hour;
  const busy = logs.filter((l) => (hour(l) >= 9 && hour(l) < 12) || (hour(l) >= 14 && hour(l) < 18)).length;
  const night = logs.filter((l) => hour(l) < 6).length;
  assert.ok(busy > logs.length / 2 && night < logs.length / 20, `busy ${busy}, night ${night}`);

  const elapsed = logs.filter((l) => l.run.status === 'succeeded').map((l) => l.run.elapsed_time).sort((a, b) => a - b);
  const p = (q: number) => elapsed[Math.floor(q * (elapsed.length - 1))] ?? 0;
  assert.ok(p(0.95) >= 2.5 * p(0.5), `p50 ${p(0.5)}, p95 ${p(0.95)}`);
});

void test('ids are unique across logs, runs, node executions and end users', () => {
  const logs = logsOf(generateDemoStore({ ...SHANGHAI, runs: 2000 }));
  const ids = logs.flatMap((l) => [l.id, l.run.id, ...l.nodes.map((n) => n.id)]);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)));
  const users = new Map<string, string>();
  for (const log of logs) {
    const user = log.created_by_end_user;
    if (!user) continue;
    assert.equal(users.get(user.session_id) ?? user.id, user.id, 'one end-user id per session');
    users.set(user.session_id, user.id);
  }
  assert.equal(new Set(users.values()).size, users.size);
});

void test('generateRuns spreads an exact total over several days, in order', () => {
  const logs = generateRuns({ date: '2025-03-24', timezone: 'Europe/Berlin', runs: 1001, days: 7, seed: 5 });
  assert.equal(logs.length, 1001);
  assertInside(logs, [dayWindow('2025-03-24', 'Europe/Berlin')[0], dayWindow('2025-03-31', 'Europe/Berlin')[0]]);
  assert.ok(logs.every((l, i) => i === 0 || (logs[i - 1]?.created_at ?? 0) <= l.created_at));
  assert.deepEqual([...iterateRuns({ date: '2025-03-24', timezone: 'Europe/Berlin', runs: 50, days: 2 })], generateRuns({ date: '2025-03-24', timezone: 'Europe/Berlin', runs: 50, days: 2 }));
});

void test('100k runs generate quickly', (t) => {
  const started = process.hrtime.bigint();
  const logs = generateRuns({ date: '2025-03-01', timezone: 'Asia/Shanghai', runs: 100_000, days: 30, seed: 1 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.diagnostic(`generated ${logs.length} runs in ${ms.toFixed(0)} ms`);
  console.log(`generateRuns: ${logs.length} runs over 30 days in ${ms.toFixed(0)} ms`);
  assert.equal(logs.length, 100_000);
  assert.equal(new Set(logs.map((l) => l.run.id)).size, 100_000);
});
