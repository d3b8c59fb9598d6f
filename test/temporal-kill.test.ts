import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { findTemporalCli } from '../client/temporal-cli';
import { generateRuns } from '../simulator/generate';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import { reportWorkflow } from '../workflows';
import { FIXTURE_APP_ID, FIXTURE_CONSOLE, FIXTURE_TOKEN, fixtureEnv } from './fixtures/store-builder';
import { bundleFile, startCli, until, type CliProcess } from './helpers/processes';
import { MISSING_CLI_MESSAGE, quietRuntime } from './helpers/temporal';
import { freePort } from './helpers/ports';

/**
 * The file-backed Temporal dev server is killed with SIGKILL in the middle of a report and
 * started again on the same database: the worker reconnects and the report completes.
 */


interface TemporalProcess {
  child: ChildProcess;
  exited: Promise<void>;
}

function startTemporalProcess(cli: string, dbFile: string, ports: { grpc: number; http: number; metrics: number }): TemporalProcess {
  const child = spawn(
    cli,
    ['server', 'start-dev', '--db-filename', dbFile, '--ip', '127.0.0.1', '--port', String(ports.grpc), '--http-port', String(ports.http), '--metrics-port', String(ports.metrics), '--headless', '--log-level', 'error'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, exited };
}

async function connect(address: string): Promise<Client> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 200; attempt += 1) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.workflowService.getSystemInfo({});
      return new Client({ connection });
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`Temporal at ${address} did not come up: ${String(lastError)}`);
}

describe('the Temporal server killed mid-report', () => {
  let dify: RunningDifyServer;
  let temporal: TemporalProcess | undefined;
  let worker: CliProcess | undefined;
  const clients: Client[] = [];

  before(async () => {
    quietRuntime();
    const logs = generateRuns({ date: '2025-03-03', timezone: 'UTC', days: 1, runs: 300, appId: FIXTURE_APP_ID, apiToken: FIXTURE_TOKEN, consoleUser: FIXTURE_CONSOLE });
    dify = await startDifyServer({
      store: { apps: [{ id: FIXTURE_APP_ID, name: 'Fixture app', mode: 'workflow', apiToken: FIXTURE_TOKEN, status: 'normal', enableApi: true, logs }], consoleUsers: [{ id: '66666666-0000-4000-8000-000000000001', name: 'Ops', ...FIXTURE_CONSOLE }] },
      profile: 'tokenpair',
    });
  });

  after(async () => {
    await worker?.kill();
    for (const client of clients) await client.connection.close().catch(() => undefined);
    if (temporal && temporal.child.exitCode === null) {
      temporal.child.kill('SIGKILL');
      await temporal.exited;
    }
    await dify?.close();
  });

  it('the report completes after the server is SIGKILLed and restarted on its database', { timeout: 300_000 }, async () => {
    const cli = findTemporalCli();
    if (!cli) throw new Error(MISSING_CLI_MESSAGE);
    const dir = await mkdtemp(path.join(tmpdir(), 'difyscope-temporal-kill-'));
    const dbFile = path.join(dir, 'temporal.db');
    const ports = { grpc: await freePort(), http: await freePort(), metrics: await freePort() };
    const address = `127.0.0.1:${ports.grpc}`;
    temporal = startTemporalProcess(cli, dbFile, ports);
    const client = await connect(address);
    clients.push(client);

    const taskQueue = 'temporal-kill';
    worker = startCli(
      ['worker'],
      {
        ...fixtureEnv(dify.url),
        APP_KEY: 'support',
        REPORT_TIMEZONE: 'UTC',
        OUTPUT_DIR: path.join(dir, 'out'),
        TEMPORAL_ADDRESS: address,
        TEMPORAL_TASK_QUEUE: taskQueue,
        ACTIVITY_HEARTBEAT_TIMEOUT: '3s',
        WORKFLOW_BUNDLE_PATH: await bundleFile(dir),
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'error',
      },
      dir,
    );
    await worker.waitFor(/Worker polling task queue/);

    // Held in the middle of the details: the report is running when the server dies.
    const isDetail = (request: { path: string }): boolean => request.path.startsWith('/v1/workflows/run/');
    dify.hold((request) => isDetail(request) && dify.requests.filter(isDetail).length > 100);
    const handle = await client.workflow.start(reportWorkflow, { taskQueue, workflowId: 'temporal-kill/2025-03-03', args: [{ app: 'support', from: '2025-03-03', to: '2025-03-03', level: 'details' }] });
    await until(() => dify.requests.filter(isDetail).length > 100, 'the report is collecting details');

    temporal.child.kill('SIGKILL');
    await temporal.exited;
    temporal = startTemporalProcess(cli, dbFile, ports);
    const again = await connect(address);
    clients.push(again);
    dify.release();

    const summary = await again.workflow.getHandle<typeof reportWorkflow>(handle.workflowId).result();
    assert.equal(summary.runs, 300);
    assert.equal(summary.completeness.complete, true, summary.completeness.line);
    assert.equal(worker.child.exitCode, null, 'the worker kept running');
  });
});
