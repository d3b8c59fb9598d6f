import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pickConsoleEra } from '../../activities/dify/console-era';
import { liveDify, type LiveDify } from './harness';

/** `difyscope check` against the real Dify, with only URL, key, app id, e-mail and password set. */
describe('real Dify: difyscope check', () => {
  let live: LiveDify;

  before(async () => {
    live = await liveDify();
  });

  it('names the version from X-Version and the login flavour, and reads node executions', { timeout: 120_000 }, async () => {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'difyscope.js'), 'check'], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TEMPORAL_ADDRESS: '127.0.0.1:9', ...live.workflowEnv },
        cwd: path.join(__dirname, '..', 'fixtures'),
      });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      child.stderr.resume();
      child.once('error', reject);
      child.once('exit', () => resolve(text));
    });
    const lines = out.trim().split('\n');
    const version = live.seed.serverVersion ?? '';
    assert.ok(lines.some((line) => line.startsWith('✓ default: Dify service API: ') && line.endsWith(`(workflow) on Dify ${version}`)), out);
    assert.ok(
      lines.some((line) => line.startsWith(`✓ default: Dify console and node executions: logged in (e-mail and password, login flavour ${pickConsoleEra(version)}, from Dify ${version}); `)),
      out,
    );
  });
});
