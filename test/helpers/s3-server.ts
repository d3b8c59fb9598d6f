import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A real S3-compatible server for the tests: SeaweedFS (`weed mini`, master, volume, filer and
 * S3 gateway in one process) on free ports, with one bucket and one access key it checks.
 * scripts/ensure-seaweedfs.mjs builds the binary from the Go module proxy.
 */

const VERSION = 'v0.0.0-20261109003541-7506e5f91cd6';
export const MISSING_SEAWEEDFS = 'SeaweedFS (weed) was not found; run node scripts/ensure-seaweedfs.mjs (builds it with Go from the module proxy) or set SEAWEEDFS_BIN';

export interface S3Server {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The settings that point Difyscope at this server, with `prefix` inside the bucket. */
  env(prefix: string): Record<string, string>;
  close(): Promise<void>;
}

export function findWeed(): string | undefined {
  const cache = path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'difyscope', 'bin', `weed-${VERSION}`);
  return [process.env.SEAWEEDFS_BIN, cache].find((candidate): candidate is string => !!candidate && existsSync(candidate) && spawnSync(candidate, ['version'], { stdio: 'ignore' }).status === 0);
}

/** `count` distinct free ports, held open together so none is handed out twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  const ports: number[] = [];
  while (ports.length < count) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as { port: number };
    servers.push(server);
    // weed derives nothing from these, but keep them below 55000 so `port + 10000` stays valid.
    if (port < 55_000) ports.push(port);
  }
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

async function until(check: () => Promise<boolean>, child: ChildProcess, output: () => string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (child.exitCode !== null) throw new Error(`SeaweedFS exited: ${output().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`SeaweedFS did not become ready in ${seconds}s: ${output().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function startS3Server(): Promise<S3Server> {
  const weed = findWeed();
  if (!weed) throw new Error(MISSING_SEAWEEDFS);
  const dir = mkdtempSync(path.join(tmpdir(), 'difyscope-seaweedfs-'));
  const bucket = 'difyscope-test';
  const accessKeyId = 'difyscope-test-key';
  const secretAccessKey = 'difyscope-test-secret-5b1f0c';
  writeFileSync(
    path.join(dir, 's3.json'),
    JSON.stringify({ identities: [{ name: 'difyscope', credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }], actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'] }] }),
  );
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc] = await freePorts(8);
  const args = [
    'mini',
    `-dir=${dir}`,
    '-ip=127.0.0.1',
    '-ip.bind=127.0.0.1',
    `-master.port=${master}`,
    `-master.port.grpc=${masterGrpc}`,
    `-volume.port=${volume}`,
    `-volume.port.grpc=${volumeGrpc}`,
    `-filer.port=${filer}`,
    `-filer.port.grpc=${filerGrpc}`,
    `-s3.port=${s3}`,
    `-s3.port.grpc=${s3Grpc}`,
    `-s3.config=${path.join(dir, 's3.json')}`,
    `-bucket=${bucket}`,
    '-webdav=false',
    '-admin.ui=false',
    '-master.telemetry=false',
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
  ];
  const child = spawn(weed, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', HOME: dir } });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const endpoint = `http://127.0.0.1:${s3}`;
  // Ready when the S3 gateway answers and the bucket exists (an unsigned request is refused, 403, rather than 404).
  await until(
    async () => {
      try {
        const response = await fetch(`${endpoint}/${bucket}/`, { signal: AbortSignal.timeout(2_000) });
        return response.status === 403 || response.status === 200;
      } catch {
        return false;
      }
    },
    child,
    () => output,
    120,
  );
  return {
    endpoint,
    bucket,
    accessKeyId,
    secretAccessKey,
    env: (prefix) => ({
      OUTPUT_URL: `s3://${bucket}/${prefix}`,
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: accessKeyId,
      S3_SECRET_ACCESS_KEY: secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
    }),
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
