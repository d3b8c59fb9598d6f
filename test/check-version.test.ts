import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { PROFILES, startDifyServer, type RunningDifyServer } from '../simulator/dify-server';
import { fixtureEnv, fixtureStore } from './fixtures/store-builder';

/**
 * `difyscope check` names the Dify version and console login flavour it detected, and turns
 * the two ways a base URL misleads detection into one line and exit 2: a Dify whose version
 * is hidden (no X-Version header, no GET /v1/) without DIFY_CONSOLE_AUTH, and a base URL that
 * serves the console's web pages instead of the API. Run as the real CLI process.
 */

const CLI = path.join(__dirname, '..', 'bin', 'difyscope.js');

function check(env: Record<string, string>): Promise<{ status: number | null; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'check'], {
      // Nothing listens on port 9: the Temporal line fails fast and is not bad input.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TEMPORAL_ADDRESS: '127.0.0.1:9', ...env },
      cwd: path.join(__dirname, 'fixtures'),
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.resume();
    child.once('error', reject);
    child.once('exit', (status) => resolve({ status, lines: out.trim().split('\n') }));
  });
}

const line = (lines: string[], name: string): string => lines.find((candidate) => candidate.includes(`default: ${name}:`)) ?? `(no ${name} line in ${lines.join(' | ')})`;

async function htmlSite(status: number): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!DOCTYPE html><html><head><title>Dify</title></head><body><div id="__next"></div></body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('difyscope check: detected version and login flavour', () => {
  const recent = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const store = () => fixtureStore([{ n: 1, at: recent, user: 'alice', elapsed: 1, tokens: 10 }]);
  let real: RunningDifyServer;
  let hidden: RunningDifyServer;

  before(async () => {
    real = await startDifyServer({ store: store(), profile: '1.14.1' });
    hidden = await startDifyServer({ store: store(), profile: { ...PROFILES['1.14.1'], versionSource: 'none' } });
  });
  after(async () => {
    await real?.close();
    await hidden?.close();
  });

  it('prints the version from X-Version and the login flavour it implies', { timeout: 60_000 }, async () => {
    const { lines } = await check(fixtureEnv(real.url));
    assert.match(line(lines, 'Dify service API'), /^✓ .* on Dify 1\.14\.1$/);
    assert.match(line(lines, 'Dify console and node executions'), /^✓ default: Dify console and node executions: logged in \(e-mail and password, login flavour cookie-base64, from Dify 1\.14\.1\); 3 node executions read/);
  });

  it('DIFY_CONSOLE_AUTH overrides and is named as the source', { timeout: 60_000 }, async () => {
    const { lines } = await check({ ...fixtureEnv(hidden.url), DIFY_CONSOLE_AUTH: 'cookie-base64' });
    assert.match(line(lines, 'Dify service API'), /on Dify \(version hidden\)$/);
    assert.match(line(lines, 'Dify console and node executions'), /^✓ .*login flavour cookie-base64, set by DIFY_CONSOLE_AUTH\)/);
  });

  it('a hidden version: one line asking for DIFY_CONSOLE_AUTH, exit 2, no login attempted', { timeout: 60_000 }, async () => {
    const before = hidden.requests.length;
    const { status, lines } = await check(fixtureEnv(hidden.url));
    assert.equal(status, 2);
    const console = lines.filter((candidate) => candidate.includes('Dify console'));
    assert.equal(console.length, 1);
    assert.match(console[0] ?? '', /^✗ default: Dify console and node executions: cannot tell Dify's console login flavour: .*; set DIFY_CONSOLE_AUTH to legacy .* or cookie-base64 \(1\.11\.2 and newer\)$/);
    assert.deepEqual(hidden.requests.slice(before).filter((request) => request.path.startsWith('/console/')), []);
  });

  for (const status of [200, 404]) {
    it(`a base URL serving the console's web pages (HTML ${status}) is named as such, exit 2`, { timeout: 60_000 }, async () => {
      const site = await htmlSite(status);
      try {
        const { status: code, lines } = await check(fixtureEnv(site.url));
        assert.equal(code, 2);
        assert.match(line(lines, 'Dify service API'), /^✗ default: Dify service API: DIFY_BASE_URL answered the app info( \(GET \/v1\/info\))? with a web page, not Dify's API: point DIFY_BASE_URL at the API server/);
        assert.ok(!lines.some((candidate) => candidate.includes('Dify console')), 'no console check after a failed service check');
      } finally {
        await site.close();
      }
    });
  }
});
