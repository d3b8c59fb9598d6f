import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const CLI = path.join(__dirname, '..', 'bin', 'difyscope.js');
const VALID = {
  DIFY_BASE_URL: 'http://127.0.0.1:9',
  DIFY_API_TOKEN: 'app-test-token-123',
  REPORT_TIMEZONE: 'Asia/Shanghai',
  // Nothing listens here: a command that tried to reach Temporal would fail differently.
  TEMPORAL_ADDRESS: '127.0.0.1:9',
};

function cli(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    cwd: path.join(__dirname, 'fixtures'),
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.trim() };
}

/** Bad input: one clear line naming the field and the fix, exit code 2, nothing started. */
describe('difyscope report: bad input', () => {
  const cases: { name: string; args: string[]; env?: Record<string, string>; line: RegExp }[] = [
    { name: '--from after --to', args: ['--from', '2025-03-05', '--to', '2025-03-01'], line: /^difyscope: --from: 2025-03-05 is not before 2025-03-01; --from must come before --to$/ },
    { name: 'unparsable date', args: ['--from', '2025-13-01', '--to', '2025-03-01'], line: /^difyscope: --from: "2025-13-01" is not a calendar date; use YYYY-MM-DD$/ },
    { name: 'timestamp without offset', args: ['--from', '2025-03-01T08:00:00', '--to', '2025-03-02'], line: /^difyscope: --from: .*has no UTC offset/ },
    { name: 'missing token', args: ['--from', '2025-03-01', '--to', '2025-03-01'], env: { DIFY_API_TOKEN: '' }, line: /^difyscope: DIFY_API_TOKEN: is required/ },
    { name: 'bad URL', args: ['--from', '2025-03-01', '--to', '2025-03-01'], env: { DIFY_BASE_URL: 'dify.example.com' }, line: /^difyscope: DIFY_BASE_URL: must be an http\(s\) URL/ },
    { name: 'URL with /v1', args: ['--from', '2025-03-01', '--to', '2025-03-01'], env: { DIFY_BASE_URL: 'https://dify.example.com/v1' }, line: /^difyscope: DIFY_BASE_URL: must not end with \/v1/ },
    { name: 'unknown time zone', args: ['--from', '2025-03-01', '--to', '2025-03-01'], env: { REPORT_TIMEZONE: 'Mars/Olympus' }, line: /^difyscope: REPORT_TIMEZONE: unknown time zone/ },
    { name: 'unknown level', args: ['--from', '2025-03-01', '--to', '2025-03-01', '--level', 'everything'], line: /^difyscope: --level: "everything" is not valid; use logs, details or nodes$/ },
    { name: 'nodes without console credentials', args: ['--from', '2025-03-01', '--to', '2025-03-01', '--level', 'nodes'], line: /^difyscope: --level: nodes needs console credentials/ },
    { name: 'unknown format', args: ['--from', '2025-03-01', '--to', '2025-03-01', '--formats', 'csv,pdf'], line: /^difyscope: --formats: "csv,pdf" is not valid/ },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const result = cli(['report', ...testCase.args], { ...VALID, ...testCase.env });
      assert.equal(result.status, 2, result.stderr);
      assert.equal(result.stderr.split('\n').length, 1, result.stderr);
      assert.match(result.stderr, testCase.line);
      assert.equal(result.stdout, '');
    });
  }

  it('never echoes a secret in a config error', () => {
    const result = cli(['report', '--from', '2025-03-01', '--to', '2025-03-01'], { ...VALID, DIFY_CONSOLE_PASSWORD: 'SuperSecret123' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /DIFY_CONSOLE_EMAIL/);
    assert.doesNotMatch(result.stderr, /SuperSecret123/);
  });
});

describe('documentation', () => {
  it('README configuration table and .env.example match the config schema', async () => {
    const { configTable, envExample } = await import('../scripts/config-doc');
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const table = /<!-- config-table:start -->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(readme)?.[1];
    assert.equal(table, configTable(), 'regenerate with `npm run docs`');
    assert.equal(readFileSync(path.join(__dirname, '..', '.env.example'), 'utf8'), `${envExample()}\n`, 'regenerate with `npm run docs`');
  });
});

describe('notification settings are validated before anything starts', () => {
  const broken = { ...VALID, NOTIFY_CHANNELS: 'email,dingtalk', SMTP_TO: 'ops@example.com, not-an-address', DINGTALK_WEBHOOK: 'oapi.dingtalk.com/robot/send' };
  const problems = [
    'SMTP_TO: "not-an-address" is not an e-mail address; use a comma list such as ops@example.com, Li Lei <li@example.com>',
    'DINGTALK_WEBHOOK: must be an http(s) URL',
    'SMTP_HOST: is required for e-mail notifications',
    'SMTP_FROM: is required for e-mail notifications',
  ];

  it('`worker` refuses to start, one line per problem, exit 2', () => {
    const result = cli(['worker'], broken);
    assert.equal(result.status, 2);
    assert.deepEqual(result.stderr.split('\n'), problems.map((problem) => `difyscope: ${problem}`));
  });

  it('`check` prints each problem as a failed check, exit 2', () => {
    const result = cli(['check'], broken);
    assert.equal(result.status, 2);
    assert.deepEqual(result.stdout.trim().split('\n'), problems.map((problem) => `✗ Configuration: ${problem}`));
  });
});
