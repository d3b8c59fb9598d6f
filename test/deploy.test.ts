import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..');

/** The service units in deploy/: parsed by the tools that will load them. */
describe('service units', () => {
  it('systemd unit keeps the worker alive with an env file, working dir and journald', () => {
    const file = path.join(root, 'deploy', 'difyscope-worker.service');
    const unit = readFileSync(file, 'utf8');
    for (const line of ['Restart=always', 'EnvironmentFile=/etc/difyscope/difyscope.env', 'WorkingDirectory=/opt/difyscope', 'StandardError=journal', 'KillSignal=SIGTERM', 'ExecStart=/usr/bin/node /opt/difyscope/bin/difyscope.js worker']) {
      assert.ok(unit.split('\n').includes(line), `missing ${line}`);
    }
    const verify = spawnSync('systemd-analyze', ['verify', '--man=no', file], { encoding: 'utf8' });
    assert.notEqual(verify.error?.message.includes('ENOENT'), true, 'systemd-analyze is missing: apt-get install systemd');
    // verify complains about the absent /opt/difyscope paths and user on a build machine; syntax errors read differently.
    assert.doesNotMatch(verify.stderr, /Unknown (key|section)|Missing '='|bad-setting|Failed to parse/i, verify.stderr);
  });

  it('launchd plist is a valid property list with KeepAlive and RunAtLoad', () => {
    const file = path.join(root, 'deploy', 'com.difyscope.worker.plist');
    const parsed = spawnSync('python3', ['-c', 'import json,plistlib,sys; print(json.dumps(plistlib.load(open(sys.argv[1],"rb"))))', file], { encoding: 'utf8' });
    assert.equal(parsed.status, 0, parsed.stderr);
    const plist = JSON.parse(parsed.stdout) as Record<string, unknown>;
    assert.equal(plist.Label, 'com.difyscope.worker');
    assert.equal(plist.KeepAlive, true);
    assert.equal(plist.RunAtLoad, true);
    assert.deepEqual((plist.ProgramArguments as string[]).slice(-1), ['worker']);
    assert.match(String(plist.StandardErrorPath), /worker\.err\.log$/);
  });
});
