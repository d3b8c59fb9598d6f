import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { ConfigError, loadSettings, type Settings } from '../config/load';
import { startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import { ENCRYPTED_ENCODING, EncryptionCodec, KEY_ID_METADATA, parseEncryptionKeys } from '../worker/codec';
import { dataConverterFor, FAILURE_CONVERTER_PATH } from '../worker/data-converter';
import { workflowsPath } from '../worker/worker';
import { startCodecServer, type CodecServer } from '../client/codec-server';
import { prepareReport, startReport } from '../client/report';
import { reportWorkflow } from '../workflows';
import { fixtureEnv, fixtureStore } from './fixtures/store-builder';
import { startTemporal, uniqueTaskQueue } from './helpers/temporal';
import { startTestWorker, type RunningWorker } from './helpers/worker';
import { makeCertificates } from './helpers/grpc-tls-proxy';
import { Agent, fetch as undiciFetch } from 'undici';

const newKey = (): string => randomBytes(32).toString('base64');
const CURRENT = `k2:${newKey()}`;
const OLD = `k1:${newKey()}`;
const MARKER = `MARKER-${randomBytes(6).toString('hex')}`;
const CLI = path.join(__dirname, '..', 'bin', 'difyscope.js');

const json = (value: unknown): Payload => ({ metadata: { [METADATA_ENCODING_KEY]: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(value)) });
const utf8 = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

function rejectsWith(work: () => unknown, pattern: RegExp): void {
  assert.throws(work, (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, pattern);
    assert.equal(error.message.split('\n').length, 1);
    return true;
  });
}

describe('DIFYSCOPE_ENCRYPTION_KEY parsing', () => {
  it('takes the first key to encrypt and every key to decrypt', () => {
    const ring = parseEncryptionKeys(` ${CURRENT} , ${OLD} `);
    assert.equal(ring.current, 'k2');
    assert.deepEqual([...ring.keys.keys()], ['k2', 'k1']);
    assert.equal(ring.keys.get('k1')?.length, 32);
  });

  it('refuses malformed, short and duplicate keys, naming the setting and never the key', () => {
    const short = randomBytes(16).toString('base64');
    rejectsWith(() => parseEncryptionKeys(short), /^DIFYSCOPE_ENCRYPTION_KEY: entry 1 has no key id; use keyid:base64key/);
    rejectsWith(() => parseEncryptionKeys(`k1:${short}`), /^DIFYSCOPE_ENCRYPTION_KEY: entry 1 \(key id "k1"\) is 16 bytes after base64 decoding; AES-256 needs exactly 32/);
    rejectsWith(() => parseEncryptionKeys(`${CURRENT},k1:not base64!`), /^DIFYSCOPE_ENCRYPTION_KEY: entry 2 \(key id "k1"\) is not base64/);
    rejectsWith(() => parseEncryptionKeys(`${CURRENT},${CURRENT}`), /^DIFYSCOPE_ENCRYPTION_KEY: entry 2: key id "k2" appears twice/);
    rejectsWith(() => parseEncryptionKeys(`bad id:${newKey()}`), /^DIFYSCOPE_ENCRYPTION_KEY: entry 1: key id "bad id" is not valid/);
    assert.throws(() => parseEncryptionKeys(`k1:${short}`), (error: Error) => !error.message.includes(short));
  });

  it('gives workers and clients no codec without a key, and the encrypting converter with one', () => {
    assert.deepEqual(dataConverterFor({ encryptionKey: undefined }), {});
    const converter = dataConverterFor({ encryptionKey: CURRENT });
    assert.equal(converter.payloadCodecs?.length, 1);
    assert.equal(converter.failureConverterPath, FAILURE_CONVERTER_PATH);
    rejectsWith(() => dataConverterFor({ encryptionKey: 'k1:abc' }), /^DIFYSCOPE_ENCRYPTION_KEY: /);
  });
});

describe('EncryptionCodec', () => {
  it('encrypts the whole payload with AES-256-GCM and decrypts it back', async () => {
    const codec = EncryptionCodec.fromSetting(CURRENT);
    const [encoded] = await codec.encode([json({ secret: MARKER })]);
    assert.ok(encoded);
    assert.equal(utf8(encoded.metadata?.[METADATA_ENCODING_KEY]), ENCRYPTED_ENCODING);
    assert.equal(utf8(encoded.metadata?.[KEY_ID_METADATA]), 'k2');
    assert.deepEqual(Object.keys(encoded.metadata ?? {}).sort(), [KEY_ID_METADATA, METADATA_ENCODING_KEY].sort());
    assert.doesNotMatch(utf8(encoded.data), new RegExp(MARKER));
    assert.doesNotMatch(utf8(encoded.data), /json\/plain/);
    const [decoded] = await codec.decode([encoded]);
    assert.equal(utf8(decoded?.data), JSON.stringify({ secret: MARKER }));
    assert.equal(utf8(decoded?.metadata?.[METADATA_ENCODING_KEY]), 'json/plain');
    // A fresh nonce per payload: the same value never encrypts to the same bytes.
    const [again] = await codec.encode([json({ secret: MARKER })]);
    assert.notDeepEqual(Buffer.from(again?.data ?? []), Buffer.from(encoded.data ?? []));
  });

  it('passes payloads written before encryption was turned on through unchanged', async () => {
    const plain = json({ before: 'encryption' });
    assert.deepEqual(await EncryptionCodec.fromSetting(CURRENT).decode([plain]), [plain]);
  });

  it('after a rotation, decrypts payloads of the old key when the new key comes first', async () => {
    const [byOld] = await EncryptionCodec.fromSetting(OLD).encode([json(MARKER)]);
    assert.ok(byOld);
    const rotated = EncryptionCodec.fromSetting(`${CURRENT},${OLD}`);
    assert.equal(utf8((await rotated.decode([byOld]))[0]?.data), JSON.stringify(MARKER));
    assert.equal(utf8((await rotated.encode([json(1)]))[0]?.metadata?.[KEY_ID_METADATA]), 'k2');
  });

  it('names DIFYSCOPE_ENCRYPTION_KEY for a payload of an unknown key id or one that does not decrypt', async () => {
    const [byOld] = await EncryptionCodec.fromSetting(OLD).encode([json(MARKER)]);
    assert.ok(byOld);
    await assert.rejects(EncryptionCodec.fromSetting(CURRENT).decode([byOld]), {
      name: 'ConfigError',
      message: 'DIFYSCOPE_ENCRYPTION_KEY: a payload was encrypted with key id "k1", which is not configured (configured: k2); add "k1:<its base64 key>" after the current key',
    });
    await assert.rejects(EncryptionCodec.fromSetting(`k1:${newKey()}`).decode([byOld]), {
      message: 'DIFYSCOPE_ENCRYPTION_KEY: a payload encrypted with key id "k1" does not decrypt with the configured key of that id (wrong key, or the payload was altered)',
    });
    const tampered = Buffer.from(byOld.data ?? []);
    tampered[20] = (tampered[20] ?? 0) ^ 1;
    await assert.rejects(EncryptionCodec.fromSetting(OLD).decode([{ ...byOld, data: tampered }]), /does not decrypt/);
  });
});

describe('difyscope worker with a bad key', () => {
  for (const [name, key] of [
    ['too short', `k1:${randomBytes(16).toString('base64')}`],
    ['malformed', 'just-some-text'],
  ] as const) {
    it(`exits 2 with one line naming DIFYSCOPE_ENCRYPTION_KEY (${name}), before reaching Temporal`, () => {
      const result = spawnSync(process.execPath, [CLI, 'worker'], {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          DIFY_BASE_URL: 'http://127.0.0.1:9',
          DIFY_API_TOKEN: 'app-test-token-123',
          // Nothing listens here: a worker that tried to connect would fail with another message.
          TEMPORAL_ADDRESS: '127.0.0.1:9',
          DIFYSCOPE_ENCRYPTION_KEY: key,
        },
        cwd: path.join(__dirname, 'fixtures'),
        encoding: 'utf8',
        // A worker that went on to run instead of refusing would never exit by itself.
        timeout: 20_000,
      });
      const stderr = result.stderr.trim();
      assert.equal(result.status, 2, stderr);
      assert.equal(stderr.split('\n').length, 1, stderr);
      assert.match(stderr, /^difyscope: DIFYSCOPE_ENCRYPTION_KEY: entry 1 /);
      assert.equal(stderr.includes(key), false);
      assert.equal(result.stdout, '');
    });
  }
});

/** Every Payload message anywhere in a history: inputs, results, heartbeats, failure attributes. */
/**
 * Payloads the codec is responsible for. Search attributes (the server indexes them, so they are
 * never encoded; `TemporalChangeVersion` lists patch ids) and the SDK's own patch markers (a patch
 * id, written by the core SDK) are left out: neither can hold report data.
 */
function payloadsIn(value: unknown, found: Payload[] = []): Payload[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return found;
  const marker = (value as { markerName?: unknown }).markerName;
  if (marker === 'core_patch') return found;
  const candidate = value as { metadata?: unknown; data?: unknown };
  if (candidate.data instanceof Uint8Array && candidate.metadata !== null && typeof candidate.metadata === 'object') {
    found.push(candidate as Payload);
    return found;
  }
  for (const [key, child] of Object.entries(value)) if (key !== 'searchAttributes') payloadsIn(child, found);
  return found;
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; headers: Headers }> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as unknown) : null, headers: response.headers };
}

const toWire = (payload: Payload) => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});

describe('encrypted payloads on a real Temporal server, read back through the codec server', () => {
  let env: TestWorkflowEnvironment;
  let dify: RunningDifyServer;
  let settings: Settings;
  let worker: RunningWorker;
  let client: Client;
  let codecServer: CodecServer;
  const TOKEN = `codec-token-${randomBytes(8).toString('hex')}`;
  const ORIGIN = 'http://localhost:8233';
  const taskQueue = uniqueTaskQueue('codec');

  before(async () => {
    env = await startTemporal();
    dify = await startDifyServer({
      store: fixtureStore([{ n: 1, at: '2025-03-01T10:00:00+08:00', user: 'alice', elapsed: 2, tokens: 100, question: `question ${MARKER}` }]),
      profile: 'cookie',
    });
    settings = loadSettings({
      ...fixtureEnv(dify.url),
      APP_KEY: 'support',
      APP_NAME: `${MARKER} bot`,
      REPORT_TIMEZONE: 'Asia/Shanghai',
      OUTPUT_DIR: await mkdtemp(path.join(tmpdir(), 'difyscope-codec-')),
      TEMPORAL_TASK_QUEUE: taskQueue,
      DIFYSCOPE_ENCRYPTION_KEY: `${CURRENT},${OLD}`,
      CODEC_SERVER_TOKEN: TOKEN,
      CODEC_SERVER_CORS_ORIGINS: `${ORIGIN},http://localhost:8080`,
    });
    worker = await startTestWorker(env, settings, {
      // Bundled with the failure converter, as a production bundle for an encrypting worker must be.
      workflowBundle: await bundleWorkflowCode({ workflowsPath: workflowsPath(), failureConverterPath: FAILURE_CONVERTER_PATH, logger: new DefaultLogger('WARN') }),
    });
    client = new Client({ connection: env.connection, namespace: settings.temporal.namespace, dataConverter: dataConverterFor(settings) });
    codecServer = await startCodecServer(settings, { port: 0 });
  });

  after(async () => {
    await worker?.stop();
    await codecServer?.close();
    await dify?.close();
    await env?.teardown();
  });

  it('stores no plaintext in the history; the codec server gives it back', { timeout: 120_000 }, async () => {
    const handle = await startReport(client, settings, prepareReport(settings, { from: '2025-03-01', to: '2025-03-01' }));
    const summary = await handle.result();
    assert.equal(summary.runs, 1);

    const history = await handle.fetchHistory();
    const raw = Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('utf8');
    assert.equal(raw.includes(MARKER), false, 'marker in the raw history bytes');
    assert.equal(historyToJSON(history).includes(MARKER), false, 'marker in the history JSON');

    const payloads = payloadsIn(history);
    assert.ok(payloads.length >= 10, `only ${payloads.length} payloads found`);
    for (const payload of payloads) assert.equal(utf8(payload.metadata?.[METADATA_ENCODING_KEY]), ENCRYPTED_ENCODING);

    const decoded = await postJson(`${codecServer.url}/decode`, { payloads: payloads.map(toWire) }, { Authorization: `Bearer ${TOKEN}`, Origin: ORIGIN, 'X-Namespace': 'default' });
    assert.equal(decoded.status, 200);
    assert.equal(decoded.headers.get('access-control-allow-origin'), ORIGIN);
    const plain = (decoded.json as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads;
    assert.equal(plain.length, payloads.length);
    const texts = plain.map((payload) => Buffer.from(payload.data, 'base64').toString('utf8'));
    assert.ok(texts.some((text) => text.includes(`"appName":"${MARKER} bot"`)), 'the plan, decrypted, names the app');
    const encodings = new Set(plain.map((payload) => Buffer.from(payload.metadata[METADATA_ENCODING_KEY] ?? '', 'base64').toString()));
    // `binary/null` is what an activity returning nothing (discardWorkDir) leaves.
    assert.deepEqual([...encodings].sort(), ['binary/null', 'json/plain']);
  });

  it('encrypts failure messages too', { timeout: 120_000 }, async () => {
    const handle = await client.workflow.start(reportWorkflow, { taskQueue, workflowId: `codec-failure-${process.pid}`, args: [{ app: `${MARKER}-missing`, from: '2025-03-01', to: '2025-03-01' }] });
    await assert.rejects(handle.result(), (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      // Decrypted for this client, which has the key.
      assert.match(error.cause?.message ?? '', new RegExp(`no app "${MARKER}-missing"`));
      return true;
    });
    const history = await handle.fetchHistory();
    const raw = Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('utf8');
    assert.equal(raw.includes(MARKER), false, 'marker in the raw history bytes');
    const failed = history.events?.find((event) => event.workflowExecutionFailedEventAttributes);
    assert.equal(failed?.workflowExecutionFailedEventAttributes?.failure?.message, 'Encoded failure');
  });

  it('answers the Web UI: CORS preflight, bearer token, bad bodies', async () => {
    const preflight = await fetch(`${codecServer.url}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-namespace,content-type,authorization' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), ORIGIN);
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'X-Namespace, Content-Type, Authorization');
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'POST, OPTIONS');

    const stranger = await postJson(`${codecServer.url}/decode`, { payloads: [] }, { Authorization: `Bearer ${TOKEN}`, Origin: 'https://evil.example' });
    assert.equal(stranger.status, 403);
    assert.equal(stranger.headers.get('access-control-allow-origin'), null);

    const anonymous = await postJson(`${codecServer.url}/decode`, { payloads: [] }, { Origin: ORIGIN });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
    assert.equal((await postJson(`${codecServer.url}/decode`, { payloads: [] }, { Authorization: 'Bearer wrong' })).status, 401);

    const auth = { Authorization: `Bearer ${TOKEN}` };
    const encoded = await postJson(`${codecServer.url}/encode`, { payloads: [toWire(json(MARKER))] }, auth);
    assert.equal(encoded.status, 200);
    const decoded = await postJson(`${codecServer.url}/decode`, encoded.json, auth);
    assert.equal(Buffer.from((decoded.json as { payloads: { data: string }[] }).payloads[0]?.data ?? '', 'base64').toString(), JSON.stringify(MARKER));

    const [foreign] = await EncryptionCodec.fromSetting(`k9:${newKey()}`).encode([json(1)]);
    assert.ok(foreign);
    const unknown = await postJson(`${codecServer.url}/decode`, { payloads: [toWire(foreign)] }, auth);
    assert.equal(unknown.status, 400);
    assert.match((unknown.json as { error: string }).error, /^DIFYSCOPE_ENCRYPTION_KEY: a payload was encrypted with key id "k9"/);
    assert.equal((await postJson(`${codecServer.url}/decode`, { nothing: true }, auth)).status, 400);
    assert.equal((await postJson(`${codecServer.url}/elsewhere`, { payloads: [] }, auth)).status, 404);
  });

  it('serves HTTPS with CODEC_SERVER_TLS_CERT_PATH and _KEY_PATH, as Temporal Cloud\'s Web UI requires', async () => {
    const certificates = makeCertificates();
    const tls = { certPath: certificates.serverCert, keyPath: certificates.serverKey };
    const secure = await startCodecServer({ ...settings, codecServer: { ...settings.codecServer, tls } }, { port: 0 });
    try {
      assert.match(secure.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const trusting = new Agent({ connect: { ca: readFileSync(certificates.caCert) } });
      const auth = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
      const encoded = await undiciFetch(`${secure.url}/encode`, { method: 'POST', headers: auth, body: JSON.stringify({ payloads: [toWire(json(MARKER))] }), dispatcher: trusting });
      assert.equal(encoded.status, 200);
      const decoded = await undiciFetch(`${secure.url}/decode`, { method: 'POST', headers: auth, body: JSON.stringify(await encoded.json()), dispatcher: trusting });
      assert.equal(Buffer.from(((await decoded.json()) as { payloads: { data: string }[] }).payloads[0]?.data ?? '', 'base64').toString(), JSON.stringify(MARKER));
      // A client that does not trust the CA gets no answer at all.
      await assert.rejects(undiciFetch(`${secure.url}/decode`, { method: 'POST', headers: auth, body: '{"payloads":[]}', dispatcher: new Agent({ connect: { ca: readFileSync(certificates.otherCaCert) } }) }));
      await trusting.close();
    } finally {
      await secure.close();
      rmSync(certificates.dir, { recursive: true, force: true });
    }
    await assert.rejects(startCodecServer({ ...settings, codecServer: { ...settings.codecServer, tls: { certPath: '/nonexistent/cert.pem', keyPath: tls.keyPath } } }, { port: 0 }), {
      message: 'CODEC_SERVER_TLS_CERT_PATH: cannot read "/nonexistent/cert.pem" (ENOENT); point it at a PEM file',
    });
    assert.throws(() => loadSettings({ ...fixtureEnv(dify.url), APP_KEY: 'support', CODEC_SERVER_TLS_CERT_PATH: tls.certPath }), {
      message: 'CODEC_SERVER_TLS_CERT_PATH and CODEC_SERVER_TLS_KEY_PATH: set both (HTTPS) or neither (HTTP)',
    });
  });

  it('refuses to start without a key', async () => {
    await assert.rejects(startCodecServer({ ...settings, encryptionKey: undefined }, { port: 0 }), {
      message: 'DIFYSCOPE_ENCRYPTION_KEY: is required for the codec server; set the same value as the worker',
    });
  });
});
