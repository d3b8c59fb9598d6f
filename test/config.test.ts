import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ConfigError, loadSettings } from '../config/load';

function configFile(content: unknown): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'difyscope-config-')), 'apps.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const TWO_APPS = {
  apps: [
    {
      key: 'support',
      name: 'Support bot',
      difyBaseUrl: 'https://dify.example.com/',
      apiTokenEnv: 'SUPPORT_TOKEN',
      consoleAppId: '3f5e8c1a-0000-4000-8000-000000000001',
      console: { emailEnv: 'CONSOLE_EMAIL', passwordEnv: 'CONSOLE_PASSWORD' },
      timezone: 'Asia/Shanghai',
      locale: 'zh-CN',
      schedules: { daily: { time: '07:30', weekends: false }, weekly: { weekday: 'Friday', time: '18:00' } },
      notify: { channels: ['email'], alertRules: ['failure_rate > 0.05'] },
    },
    { key: 'search', difyBaseUrl: 'http://dify.internal:8080', apiTokenEnv: 'SEARCH_TOKEN', level: 'details' },
  ],
};

const SECRETS = { SUPPORT_TOKEN: 'app-support-0001', SEARCH_TOKEN: 'app-search-0002', CONSOLE_EMAIL: 'ops@example.com', CONSOLE_PASSWORD: 'Passw0rd123' };
const SMTP = { SMTP_HOST: 'smtp.example.com', SMTP_FROM: 'difyscope@example.com', SMTP_TO: 'ops@example.com' };

describe('several apps from DIFYSCOPE_CONFIG', () => {
  it('resolves every app, with secrets from the named variables and defaults from REPORT_*', () => {
    const settings = loadSettings({ DIFYSCOPE_CONFIG: configFile(TWO_APPS), REPORT_TIMEZONE: 'Europe/Berlin', ...SECRETS, ...SMTP });
    assert.deepEqual(
      settings.apps.map((app) => [app.key, app.name, app.dify.baseUrl, app.collectLevel, app.report.timezone, app.report.locale]),
      [
        ['support', 'Support bot', 'https://dify.example.com', 'nodes', 'Asia/Shanghai', 'zh-CN'],
        ['search', 'search', 'http://dify.internal:8080', 'details', 'Europe/Berlin', 'en'],
      ],
    );
    assert.deepEqual(settings.apps[0]?.schedules, { daily: { enabled: true, time: '07:30', weekends: false }, weekly: { enabled: true, weekday: 'friday', time: '18:00' } });
    assert.deepEqual(settings.apps[1]?.schedules, { daily: { enabled: true, time: '08:00', weekends: true }, weekly: { enabled: true, weekday: 'monday', time: '09:00' } });
    assert.deepEqual(settings.apps[0]?.dify.console, { kind: 'password', email: 'ops@example.com', password: 'Passw0rd123' });
    assert.deepEqual(settings.apps[0]?.notify, { channels: ['email'], on: ['daily', 'weekly'], alertRules: ['failure_rate > 0.05'], targets: settings.channels });
    for (const secret of ['app-support-0001', 'app-search-0002', 'Passw0rd123']) assert.ok(settings.secrets.includes(secret), secret);
  });

  it('refuses a bad file with one line per problem, naming the field and the fix', () => {
    const bad = {
      apps: [
        { ...TWO_APPS.apps[0], timezone: 'Asia/Beijing', schedules: { daily: { time: '25:00' } } },
        { key: 'support', difyBaseUrl: 'dify.example.com', apiTokenEnv: 'SEARCH_TOKEN' },
      ],
    };
    const file = configFile(bad);
    assert.throws(
      () => loadSettings({ DIFYSCOPE_CONFIG: file, ...SECRETS }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.message.split('\n'), [
          `${file}: apps.0.timezone: unknown time zone; use an IANA name such as Asia/Shanghai or UTC`,
          `${file}: apps.0.schedules.daily.time: use a 24-hour local time HH:MM such as 08:00`,
          `${file}: apps.1.difyBaseUrl: must be an http(s) URL such as https://dify.example.com`,
          `${file}: apps.1.key: duplicate app key "support"; every app needs its own key`,
        ]);
        return true;
      },
    );
  });

  it('names the missing environment variable of an app without a token', () => {
    assert.throws(
      () => loadSettings({ DIFYSCOPE_CONFIG: configFile(TWO_APPS), ...SECRETS, SEARCH_TOKEN: '', ...SMTP }),
      { message: 'apps[1] (search).apiTokenEnv: environment variable SEARCH_TOKEN is not set; export it or put it in .env' },
    );
  });

  it('refuses secrets written into the file instead of named', () => {
    const file = configFile({ apps: [{ key: 'x', difyBaseUrl: 'https://d.example.com', apiTokenEnv: 'app-literal-token' }] });
    assert.throws(() => loadSettings({ DIFYSCOPE_CONFIG: file }), { message: `${file}: apps.0.apiTokenEnv: must be the NAME of an environment variable (secrets stay out of the file)` });
  });

  it('`schedules apply` with a bad config changes nothing and exits 2', () => {
    const file = configFile({ apps: [{ key: 'x', difyBaseUrl: 'https://d.example.com', apiTokenEnv: 'X_TOKEN', timezone: 'Mars/Base' }] });
    const result = spawnSync(process.execPath, [path.join(__dirname, '..', 'bin', 'difyscope.js'), 'schedules', 'apply'], {
      env: { PATH: process.env.PATH ?? '', DIFYSCOPE_CONFIG: file, X_TOKEN: 'app-x-000001', TEMPORAL_ADDRESS: '127.0.0.1:9' },
      cwd: path.dirname(file),
      encoding: 'utf8',
    });
    assert.equal(result.status, 2);
    assert.equal(result.stderr.trim(), `difyscope: ${file}: apps.0.timezone: unknown time zone; use an IANA name such as Asia/Shanghai or UTC`);
  });
});
