import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../helpers/ports';

/**
 * Where the live tests get a real Dify from, shared by the launcher (test/live/launcher.ts)
 * and the harness (test/live/harness.ts):
 * - DIFY_LIVE_URL: a Dify the user points at (a staging server); it is seeded with seed.py
 *   through its own APIs, using DIFY_LIVE_CONSOLE_EMAIL / DIFY_LIVE_CONSOLE_PASSWORD
 *   (seed.py's admin@example.com / Passw0rd-seed1 when unset), or DIFY_LIVE_SEED names a
 *   seed JSON written earlier by seed.py and nothing is seeded.
 * - else the real-dify launcher (REAL_DIFY_DIR, default ../shared/real-dify from the
 *   project root): start.sh on a free port, seed.py, stop.sh at the end.
 */

const execFileAsync = promisify(execFile);

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

export const HOW_TO_GET_A_DIFY =
  'npm run test:dify needs a real Dify: set DIFY_LIVE_URL (and DIFY_LIVE_CONSOLE_EMAIL, DIFY_LIVE_CONSOLE_PASSWORD) to a Dify you may seed, or provide the real-dify launcher at ../shared/real-dify (or set REAL_DIFY_DIR to its folder)';

export class NoDifyError extends Error {}

/** The checkout a local clone was made from (its `origin` is a path), whose neighbours a fresh clone lacks. */
function originCheckout(): string | undefined {
  try {
    const { stdout } = spawnSync('git', ['-C', PROJECT_ROOT, 'config', '--get', 'remote.origin.url'], { encoding: 'utf8' });
    const origin = stdout.trim();
    return origin.startsWith('/') ? origin.replace(/\/\.git$/, '') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The project's `shared` folder: beside the project root, else beside the checkout this one
 * was cloned from (a CI clone in a temporary folder has no neighbours of its own).
 */
export function sharedDir(): string {
  const beside = (root: string): string => path.resolve(root, '..', 'shared');
  const origin = originCheckout();
  const candidates = [beside(PROJECT_ROOT), ...(origin ? [beside(origin)] : [])];
  return candidates.find((dir) => existsSync(dir)) ?? beside(PROJECT_ROOT);
}

/** The real-dify launcher folder: REAL_DIFY_DIR, else `real-dify` in the shared folder. */
export function launcherDir(): string {
  if (process.env.REAL_DIFY_DIR) return path.resolve(PROJECT_ROOT, process.env.REAL_DIFY_DIR);
  return path.join(sharedDir(), 'real-dify');
}

function launcherScript(name: 'start.sh' | 'stop.sh' | 'seed.py'): string {
  const file = path.join(launcherDir(), name);
  if (!existsSync(file)) throw new NoDifyError(HOW_TO_GET_A_DIFY);
  return file;
}

/** A free TCP port on 127.0.0.1. */

/** Runs a launcher script, its progress on our stderr; returns the JSON of its last stdout line. */
function runScript(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) {
        reject(new Error(`${path.basename(args[0] ?? command)} ${args.slice(1).join(' ')} failed (${signal ?? `exit ${code}`})`));
        return;
      }
      try {
        resolve(JSON.parse(last) as Record<string, unknown>);
      } catch {
        reject(new Error(`${path.basename(args[0] ?? command)} printed no JSON line: ${last.slice(0, 200)}`));
      }
    });
  });
}

/** Whether every ancestor of `dir` lets other users through (PostgreSQL runs as `postgres` when we are root). */
function traversableByOthers(dir: string): boolean {
  for (let current = path.dirname(path.resolve(dir)); ; current = path.dirname(current)) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      // Not created yet: start.sh makes it with mode 755.
    }
    if (current === path.dirname(current)) return true;
  }
}

function apiRunning(state: string): boolean {
  try {
    const pid = Number(readFileSync(path.join(state, 'run', 'api.pid'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path.join(state, 'venv', 'bin'));
  } catch {
    return false;
  }
}

/**
 * The state folder for a server of our own. start.sh keeps one API per state folder and
 * moves it when asked for another port, so a folder whose API is already running (someone
 * else's server) is left alone and a sibling `<state>-2`, `-3`, … is used instead.
 */
export function chooseState(): string {
  const isRoot = process.getuid?.() === 0;
  let base = process.env.REAL_DIFY_STATE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'real-dify');
  if (!process.env.REAL_DIFY_STATE && isRoot && !traversableByOthers(base)) base = path.join('/var/tmp', 'real-dify');
  for (let n = 1; n < 10; n += 1) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    if (!apiRunning(candidate)) return candidate;
  }
  throw new Error(`every real-dify state folder from ${base} to ${base}-9 has a running API; stop one with stop.sh --state DIR`);
}

export interface StartedDify {
  url: string;
  version: string;
  state: string;
}

/** start.sh in a state folder of our own; `onState` learns the folder before anything starts, so a failed start is stopped too. */
export async function startDify(onState: (state: string) => void = () => undefined): Promise<StartedDify> {
  const start = launcherScript('start.sh');
  const state = chooseState();
  onState(state);
  const port = await freePort();
  process.stderr.write(`real Dify: start.sh --port ${port} --state ${state}\n`);
  const info = await runScript('bash', [start, '--port', String(port), '--state', state]);
  return { url: String(info.url), version: String(info.version), state };
}

export async function stopDify(state: string): Promise<void> {
  await runScript('bash', [launcherScript('stop.sh'), '--state', state]);
}

/** seed.py against `url`; returns the path of the seed JSON it wrote. */
export async function seedDify(url: string): Promise<string> {
  const seed = launcherScript('seed.py');
  const dir = await mkdtemp(path.join(tmpdir(), 'difyscope-live-'));
  const out = path.join(dir, 'seed.json');
  const args = [seed, '--url', url, '--out', out];
  if (process.env.DIFY_LIVE_CONSOLE_EMAIL) args.push('--email', process.env.DIFY_LIVE_CONSOLE_EMAIL);
  if (process.env.DIFY_LIVE_CONSOLE_PASSWORD) args.push('--password', process.env.DIFY_LIVE_CONSOLE_PASSWORD);
  process.stderr.write(`real Dify: seeding ${url} (seed.py)\n`);
  await runScript('python3', args);
  return out;
}

/** The redis-cli answer for Dify's Redis of a launcher state folder (password fixed by start.sh). */
export async function stateRedis(state: string, ...command: string[]): Promise<string> {
  const port = (await readFile(path.join(state, 'run', 'redis.port'), 'utf8')).trim();
  const { stdout } = await execFileAsync('redis-cli', ['-h', '127.0.0.1', '-p', port, '-a', 'difyai123456', '--no-auth-warning', ...command]);
  return stdout.trim();
}
