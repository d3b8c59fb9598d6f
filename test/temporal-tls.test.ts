import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadSettings } from '../config/load';
import { runChecks } from '../client/check';
import { findTemporalCli } from '../client/temporal-cli';
import { connectWorker, createWorker } from '../worker/worker';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import { fixtureEnv, fixtureStore } from './fixtures/store-builder';
import { makeCertificates, SERVER_NAME, startGrpcTlsProxy, type GrpcTlsProxy, type TestCertificates } from './helpers/grpc-tls-proxy';
import { startTemporal, uniqueTaskQueue, workflowBundle } from './helpers/temporal';

const CLI = path.join(__dirname, '..', 'bin', 'difyscope.js');
const API_KEY = 'tk-difyscope-test-9f2c41d7';

/** Runs the real CLI; resolves with its exit code and output (async, so the in-process worker keeps polling). */
function cli(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: mkdtempSync(path.join(tmpdir(), 'difyscope-home-')), ...env },
      cwd: path.join(__dirname, 'fixtures'),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr: stderr.trim() }));
  });
}

/**
 * Secured Temporal: TLS with an API key, and mTLS from a TOML profile the `temporal` CLI reads
 * too, through nginx terminating TLS in front of the dev server; wrong settings fail in one line.
 */
describe('Temporal over TLS, mTLS and an API key (nginx grpc_pass)', () => {
  let env: TestWorkflowEnvironment;
  let certs: TestCertificates;
  let keyed: GrpcTlsProxy;
  let mutual: GrpcTlsProxy;
  let dify: RunningDifyServer;
  let profileFile: string;
  const outputDir = mkdtempSync(path.join(tmpdir(), 'difyscope-tls-out-'));

  before(async () => {
    env = await startTemporal();
    certs = makeCertificates();
    keyed = await startGrpcTlsProxy({ upstream: env.address, certs, apiKey: API_KEY });
    mutual = await startGrpcTlsProxy({ upstream: env.address, certs, mtls: true });
    dify = await startDifyServer({ store: fixtureStore([{ n: 1, at: '2025-03-01T10:00:00+08:00', user: 'alice', elapsed: 2, tokens: 100 }]), profile: 'cookie' });
    profileFile = path.join(certs.dir, 'temporal.toml');
    // The same file the `temporal` CLI reads (TEMPORAL_CONFIG_FILE / --config-file).
    writeFileSync(
      profileFile,
      `[profile.secure]
address = "${mutual.address}"
namespace = "default"

[profile.secure.tls]
server_name = "${SERVER_NAME}"
server_ca_cert_path = "${certs.caCert}"
client_cert_path = "${certs.clientCert}"
client_key_path = "${certs.clientKey}"
`,
    );
  });
  after(async () => {
    await dify?.close();
    await keyed?.close();
    await mutual?.close();
    await env?.teardown();
  });

  const base = (): Record<string, string> => ({
    ...fixtureEnv(dify.url),
    APP_KEY: 'support',
    REPORT_TIMEZONE: 'Asia/Shanghai',
    OUTPUT_DIR: outputDir,
  });
  const tlsWithKey = (): Record<string, string> => ({
    TEMPORAL_ADDRESS: keyed.address,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
    TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    TEMPORAL_API_KEY: API_KEY,
  });
  const mtlsProfile = (): Record<string, string> => ({ TEMPORAL_CONFIG_FILE: profileFile, TEMPORAL_PROFILE: 'secure' });

  it('check shows TLS, the server name and that an API key is set, never the key', { timeout: 60_000 }, async () => {
    const results = await runChecks(loadSettings({ ...base(), ...tlsWithKey() }));
    const temporal = results.find((result) => result.name === 'Temporal');
    assert.deepEqual(temporal, {
      ok: true,
      name: 'Temporal',
      detail: `${keyed.address}, namespace default, TLS on (server name ${SERVER_NAME}), server CA CN=test-ca, no client cert, API key set`,
    });
    assert.doesNotMatch(JSON.stringify(results), new RegExp(API_KEY));
  });

  it('mTLS from a TOML profile: check shows the client certificate; the temporal CLI reads the same profile', { timeout: 60_000 }, async () => {
    const results = await runChecks(loadSettings({ ...base(), ...mtlsProfile() }));
    const temporal = results.find((result) => result.name === 'Temporal');
    assert.equal(temporal?.ok, true, temporal?.detail);
    assert.equal(
      temporal?.detail,
      `${mutual.address}, namespace default, profile secure, TLS on (server name ${SERVER_NAME}), server CA CN=test-ca, client cert O=Difyscope tests, CN=difyscope-worker, no API key`,
    );
    const temporalCli = findTemporalCli();
    assert.ok(temporalCli);
    const described = spawnSync(temporalCli, ['operator', 'namespace', 'describe', '--namespace', 'default', '--output', 'json'], {
      env: { PATH: process.env.PATH ?? '', HOME: certs.dir, TEMPORAL_CONFIG_FILE: profileFile, TEMPORAL_PROFILE: 'secure' },
      encoding: 'utf8',
    });
    assert.equal(described.status, 0, described.stderr);
    assert.match(described.stdout, /"name": "default"/);
  });

  it('a worker and the CLI run a report through the mTLS proxy', { timeout: 180_000 }, async () => {
    const taskQueue = uniqueTaskQueue('tls');
    const settings = loadSettings({ ...base(), ...mtlsProfile(), TEMPORAL_TASK_QUEUE: taskQueue });
    const connection = await connectWorker(settings);
    const worker = await createWorker({ settings, connection, workflowBundle: await workflowBundle() });
    const running = worker.run();
    try {
      const result = await cli(['report', '--from', '2025-03-01', '--to', '2025-03-01'], { ...base(), ...mtlsProfile(), TEMPORAL_TASK_QUEUE: taskQueue });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /1 runs|runs: 1|1 run/);
    } finally {
      worker.shutdown();
      await running;
      await connection.close();
    }
  });

  const failures: { name: string; env: () => Record<string, string>; line: RegExp; command?: string[] }[] = [
    {
      name: 'wrong CA',
      env: () => ({ ...tlsWithKey(), TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.otherCaCert }),
      line: /^difyscope: Temporal at 127\.0\.0\.1:\d+: the TLS handshake failed .*check TEMPORAL_TLS_SERVER_CA_CERT_PATH/,
    },
    {
      name: 'missing API key',
      env: () => ({ ...tlsWithKey(), TEMPORAL_API_KEY: '', TEMPORAL_TLS: 'true' }),
      line: /^difyscope: Temporal at 127\.0\.0\.1:\d+ requires authentication; set TEMPORAL_API_KEY/,
    },
    {
      name: 'worker with a missing API key',
      command: ['worker'],
      env: () => ({ ...tlsWithKey(), TEMPORAL_API_KEY: '', TEMPORAL_TLS: 'true' }),
      line: /^difyscope: Temporal at 127\.0\.0\.1:\d+ requires authentication; set TEMPORAL_API_KEY/,
    },
    {
      name: 'wrong API key',
      env: () => ({ ...tlsWithKey(), TEMPORAL_API_KEY: 'tk-wrong-key-0000' }),
      line: /^difyscope: Temporal at 127\.0\.0\.1:\d+ refused the API key; check TEMPORAL_API_KEY/,
    },
    {
      name: 'missing client certificate',
      env: () => ({ TEMPORAL_ADDRESS: mutual.address, TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert, TEMPORAL_TLS_SERVER_NAME: SERVER_NAME }),
      line: /^difyscope: Temporal at 127\.0\.0\.1:\d+ requires a client certificate \(mTLS\); set TEMPORAL_TLS_CLIENT_CERT_PATH/,
    },
    {
      name: 'unreadable CA file',
      env: () => ({ ...tlsWithKey(), TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/nonexistent/ca.pem' }),
      line: /^difyscope: TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read "\/nonexistent\/ca\.pem"/,
    },
    {
      name: 'unknown profile',
      env: () => ({ ...mtlsProfile(), TEMPORAL_PROFILE: 'nope' }),
      line: /^difyscope: TEMPORAL_PROFILE: .*nope/,
    },
  ];
  for (const failure of failures) {
    it(`${failure.name}: one line naming the setting, exit 2`, { timeout: 60_000 }, async () => {
      const result = await cli(failure.command ?? ['schedules', 'list'], { ...base(), ...failure.env() });
      assert.equal(result.status, 2, result.stderr);
      assert.equal(result.stderr.split('\n').length, 1, result.stderr);
      assert.match(result.stderr, failure.line);
      assert.doesNotMatch(result.stderr + result.stdout, new RegExp(API_KEY));
    });
  }
});
