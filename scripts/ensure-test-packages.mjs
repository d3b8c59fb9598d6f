#!/usr/bin/env node
// Debian packages a few tests use, installed when missing and this machine allows it (root
// with apt-get): docker-compose parses docker-compose.temporal.yml (no engine needed),
// chromium renders the HTML report, fonts-noto-cjk lets it draw Chinese text, nginx is the
// TLS-terminating gRPC proxy in front of Temporal and openssl makes its certificates. Elsewhere it only
// says what to install; the tests that need a missing tool then fail with the same advice.
import { spawnSync } from 'node:child_process';

const say = (line) => process.stderr.write(`[ensure-test-packages] ${line}\n`);
const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const installed = (pkg) => spawnSync('dpkg', ['-s', pkg], { stdio: 'ignore' }).status === 0;

const missing = [];
if (!has('docker-compose')) missing.push('docker-compose');
if (!has('chromium')) missing.push('chromium');
if (has('dpkg') && !installed('fonts-noto-cjk')) missing.push('fonts-noto-cjk');
if (!has('nginx') && !has('/usr/sbin/nginx')) missing.push('nginx');
if (!has('openssl')) missing.push('openssl');

if (missing.length === 0) process.exit(0);
const root = typeof process.getuid === 'function' && process.getuid() === 0;
if (!root || !has('apt-get')) {
  say(`missing ${missing.join(', ')}; install them with: sudo apt-get install -y ${missing.join(' ')}`);
  process.exit(0);
}
say(`installing Debian packages: ${missing.join(', ')} (apt-get)`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const update = spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env }) : update;
if (install.status !== 0) say(`could not install ${missing.join(', ')}; the tests that need them will say how`);
