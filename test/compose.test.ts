import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * docker-compose.temporal.yml is checked by Compose itself (`docker-compose config`), in a
 * scratch directory with its own .env, so the test needs neither a Docker daemon nor the
 * developer's real .env. It fails (never skips) without the binary: CI must install it.
 */

const FILE = resolve(__dirname, '..', 'docker-compose.temporal.yml');
const INSTALL_HINT = 'docker-compose is not installed; install it with `apt-get update && apt-get install -y docker-compose` (Debian/Ubuntu)';
const SENTINEL = 'sentinel-pw-7f3a9c';
const SERVICES = ['postgres', 'temporal-schema', 'temporal', 'temporal-ui', 'seaweedfs', 'worker'];
const S3_ENV = 'S3_ACCESS_KEY_ID=sentinel-key\nS3_SECRET_ACCESS_KEY=sentinel-secret-4d2e\n';
const PASSWORD_KEYS = /^\s*(POSTGRES_PASSWORD|POSTGRES_PWD|SQL_PASSWORD|VISIBILITY_POSTGRES_PWD):\s*(.*)$/;

function compose(args: string[], envFile: string | null): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'difyscope-compose-'));
  try {
    copyFileSync(FILE, join(dir, 'docker-compose.temporal.yml'));
    // The worker's env_file must exist; it also feeds interpolation, as .env does for users.
    writeFileSync(join(dir, '.env'), envFile ?? '');
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME ?? dir };
    const result = spawnSync('docker-compose', ['-f', 'docker-compose.temporal.yml', ...args], { cwd: dir, env, encoding: 'utf8' });
    if (result.error) {
      const code = (result.error as NodeJS.ErrnoException).code;
      assert.fail(code === 'ENOENT' ? INSTALL_HINT : `docker-compose could not run: ${result.error.message}`);
    }
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The lines indented under `key:` at `indent` spaces (enough YAML for Compose's normalised output). */
function block(lines: readonly string[], key: string, indent: number): string[] {
  const pad = ' '.repeat(indent);
  const start = lines.findIndex((line) => line === `${pad}${key}:`);
  if (start < 0) return [];
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() !== '' && line.length - line.trimStart().length <= indent) break;
    body.push(line);
  }
  return body;
}

function dependsOn(serviceLines: readonly string[]): Record<string, string> {
  const deps = block(serviceLines, 'depends_on', 4);
  const conditions: Record<string, string> = {};
  deps.forEach((line, i) => {
    const name = /^ {6}([\w-]+):\s*$/.exec(line)?.[1];
    const condition = /^ {8}condition: (\w+)/.exec(deps[i + 1] ?? '')?.[1];
    if (name && condition) conditions[name] = condition;
  });
  return conditions;
}

void test('the compose file never uses the retired auto-setup image and holds no literal password', () => {
  const text = readFileSync(FILE, 'utf8');
  assert.doesNotMatch(text, /auto-setup/i);
  for (const line of text.split('\n')) {
    const value = PASSWORD_KEYS.exec(line)?.[2];
    if (value !== undefined) assert.match(value, /^\$\{POSTGRES_PASSWORD:\?/, `password not interpolated: ${line.trim()}`);
  }
  assert.doesNotMatch(text, /:latest\b/, 'images are pinned');
});

void test('docker-compose accepts the file and wires the services in order', () => {
  const result = compose(['config'], `POSTGRES_PASSWORD=${SENTINEL}\n${S3_ENV}`);
  assert.equal(result.status, 0, `docker-compose config failed:\n${result.stderr}`);
  const lines = result.stdout.split('\n');
  const services = block(lines, 'services', 0);
  const names = services.flatMap((line) => /^ {2}([\w-]+):\s*$/.exec(line)?.[1] ?? []);
  for (const name of SERVICES) assert.ok(names.includes(name), `service ${name} in ${names.join(', ')}`);

  const service = (name: string) => block(services, name, 2);
  assert.deepEqual(dependsOn(service('temporal-schema')), { postgres: 'service_healthy' });
  assert.deepEqual(dependsOn(service('temporal')), { postgres: 'service_healthy', 'temporal-schema': 'service_completed_successfully' });
  assert.equal(dependsOn(service('temporal-ui')).temporal, 'service_healthy');
  assert.equal(dependsOn(service('temporal-namespace')).temporal, 'service_healthy');
  assert.equal(dependsOn(service('worker'))['temporal-namespace'], 'service_completed_successfully');
  for (const name of ['postgres', 'temporal', 'temporal-ui']) {
    assert.ok(block(service(name), 'healthcheck', 4).length > 0, `${name} has a health check`);
  }

  const worker = service('worker').join('\n');
  assert.match(worker, /TEMPORAL_ADDRESS: temporal:7233/);
  // Two replicas, each with local scratch only, sharing the S3-compatible store.
  assert.match(worker, /replicas: 2/);
  assert.match(worker, /OUTPUT_DIR: \/tmp\/difyscope/);
  assert.match(worker, /OUTPUT_URL: s3:\/\/difyscope\/reports/);
  assert.match(worker, /S3_ENDPOINT: http:\/\/seaweedfs:8333/);
  assert.doesNotMatch(worker, /volumes:/, 'no shared volume between the replicas');
  assert.equal(dependsOn(service('worker')).seaweedfs, 'service_healthy');
  assert.ok(block(service('seaweedfs'), 'healthcheck', 4).length > 0, 'seaweedfs has a health check');
  assert.match(service('seaweedfs').join('\n'), /AWS_SECRET_ACCESS_KEY: sentinel-secret-4d2e/);
  assert.match(worker, /restart: unless-stopped/);
  assert.match(worker, /command:\n\s+- worker\n/);

  // Every password Compose resolved came from .env: no other value hides in the file.
  const passwords = lines.flatMap((line) => PASSWORD_KEYS.exec(line)?.[2] ?? []);
  assert.ok(passwords.length >= 3, 'postgres, schema job and server all get the password');
  assert.ok(passwords.every((p) => p === SENTINEL), `unexpected password values: ${passwords.join(', ')}`);
});

void test('without POSTGRES_PASSWORD docker-compose refuses and says what to set', () => {
  const result = compose(['config'], S3_ENV);
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /set POSTGRES_PASSWORD in \.env/);
});

void test('without the S3 keys docker-compose refuses and says what to set', () => {
  const result = compose(['config'], `POSTGRES_PASSWORD=${SENTINEL}\n`);
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /set S3_ACCESS_KEY_ID in \.env|set S3_SECRET_ACCESS_KEY in \.env/);
});
