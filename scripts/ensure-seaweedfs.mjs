#!/usr/bin/env node
// Makes sure a SeaweedFS `weed` binary is available: the real S3-compatible server the
// object-storage tests start. Order: SEAWEEDFS_BIN, the cached build below; otherwise it is
// built from the Go module proxy (module source via `go mod download`, then `go build`,
// because its go.mod has replace directives that `go install pkg@version` refuses).
// The binary is cached outside the repository, in ~/.cache/difyscope/bin/.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export const SEAWEEDFS_MODULE = 'github.com/seaweedfs/seaweedfs';
export const SEAWEEDFS_VERSION = 'v0.0.0-20261109003541-7506e5f91cd6';
const cache = path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'difyscope');
const binary = path.join(cache, 'bin', `weed-${SEAWEEDFS_VERSION}`);
const say = (line) => process.stderr.write(`[ensure-seaweedfs] ${line}\n`);

function works(candidate) {
  return candidate && spawnSync(candidate, ['version'], { stdio: 'ignore' }).status === 0;
}

if (works(process.env.SEAWEEDFS_BIN) || works(binary)) process.exit(0);
if (spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0) {
  say('Go is not installed: the object-storage tests need SeaweedFS; install Go, or set SEAWEEDFS_BIN to a `weed` binary');
  process.exit(0);
}
say(`building SeaweedFS ${SEAWEEDFS_VERSION} from the Go module proxy (once; several minutes)`);
const download = spawnSync('go', ['mod', 'download', '-json', `${SEAWEEDFS_MODULE}@${SEAWEEDFS_VERSION}`], { encoding: 'utf8' });
if (download.status !== 0) {
  say(`go mod download failed: ${download.stderr || download.stdout}`);
  process.exit(0);
}
const source = JSON.parse(download.stdout).Dir;
const work = path.join(cache, `seaweedfs-src-${SEAWEEDFS_VERSION}`);
if (!existsSync(path.join(work, 'go.mod'))) {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  cpSync(source, work, { recursive: true });
  spawnSync('chmod', ['-R', 'u+w', work]);
}
mkdirSync(path.dirname(binary), { recursive: true });
const built = spawnSync('go', ['build', '-o', `${binary}.partial`, './weed'], { cwd: work, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, GOFLAGS: '-buildvcs=false' } });
if (built.status !== 0) {
  say('go build failed; the object-storage tests will say what is missing');
  process.exit(0);
}
renameSync(`${binary}.partial`, binary);
say(`built ${binary}`);
