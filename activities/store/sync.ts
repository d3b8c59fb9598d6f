import { mkdir, readdir, readFile, stat, writeFile, rename, chmod } from 'node:fs/promises';
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { ObjectStore } from './index';

/**
 * Copies between a worker's local OUTPUT_DIR and the shared store, so any worker can run any
 * activity of any report: an activity first pulls the folders it reads, works on local files
 * as always, and pushes what it wrote. Heartbeat details (the resume point) reach Temporal
 * only after the files they point at are in the store, so an attempt that a replacement
 * worker resumes finds every page and chunk its predecessor saved.
 */

const MANIFEST = '.complete.json';
/** Readings of a folder that is being republished before the step gives up (and is retried). */
const REREAD_ATTEMPTS = 5;

const manifestSchema = z.object({
  files: z.array(
    z.object({
      name: z.string(),
      size: z.number(),
      /** Absent in manifests written before hashes were recorded. */
      sha256: z.string().optional(),
    }),
  ),
  publishedAt: z.string().optional(),
});
type PublishedFile = z.infer<typeof manifestSchema>['files'][number];

const sha256 = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

type HeartbeatFn = (details?: unknown) => void;

async function localFiles(root: string, relative: string): Promise<{ key: string; size: number; mtimeMs: number }[]> {
  const found: { key: string; size: number; mtimeMs: number }[] = [];
  const walk = async (dir: string, key: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const child = path.join(dir, entry.name);
      // Temporaries of atomic writes are never shared; the renamed result is.
      if (entry.isDirectory()) await walk(child, `${key}/${entry.name}`);
      else if (entry.isFile() && !/\.tmp$|\.old$/.test(entry.name)) {
        try {
          const info = await stat(child);
          found.push({ key: `${key}/${entry.name}`, size: info.size, mtimeMs: info.mtimeMs });
        } catch {
          // Renamed away between listing and stat: the next push sees the new name.
        }
      }
    }
  };
  await walk(path.join(root, ...relative.split('/')), relative);
  return found;
}

async function writeLocal(root: string, key: string, body: Buffer, fileMode: number): Promise<void> {
  const file = path.join(root, ...key.split('/'));
  await mkdir(path.dirname(file), { recursive: true, mode: fileMode | ((fileMode & 0o444) >> 2) });
  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, body, { mode: fileMode });
  await chmod(temporary, fileMode);
  await rename(temporary, file);
}

export class SharedFolders {
  /** What this process last pushed or pulled, per key: skip unchanged files. */
  private readonly known = new Map<string, string>();

  constructor(
    readonly store: ObjectStore,
    private readonly localRoot: string,
    private readonly fileMode: number,
  ) {}

  /** Copies every object under `prefix` that the local folder lacks or holds in another size. */
  async pull(prefix: string): Promise<number> {
    const local = new Map((await localFiles(this.localRoot, prefix)).map((file) => [file.key, file.size]));
    let copied = 0;
    for (const object of await this.store.list(prefix)) {
      if (local.get(object.key) === object.size) continue;
      const body = await this.store.get(object.key);
      if (body === undefined) continue;
      await writeLocal(this.localRoot, object.key, body, this.fileMode);
      const info = await stat(path.join(this.localRoot, ...object.key.split('/')));
      this.known.set(object.key, `${info.size}:${info.mtimeMs}`);
      copied += 1;
    }
    return copied;
  }

  /** Uploads every local file under `prefix` that changed since this process last saw it. */
  async push(prefix: string): Promise<number> {
    let copied = 0;
    for (const file of await localFiles(this.localRoot, prefix)) {
      const stamp = `${file.size}:${file.mtimeMs}`;
      if (this.known.get(file.key) === stamp) continue;
      let body: Buffer;
      try {
        body = await readFile(path.join(this.localRoot, ...file.key.split('/')));
      } catch {
        continue;
      }
      await this.store.put(file.key, body);
      this.known.set(file.key, stamp);
      copied += 1;
    }
    return copied;
  }

  /**
   * Publishes a finished report folder: its files first, then the manifest naming them with
   * their SHA-256. A reader goes by the manifest, so a folder appears whole or not at all; a
   * republished folder's manifest replaces the old one in one PUT, and a reader that meets a
   * file of the other version (hash mismatch) reads the manifest again, so it never gets a mixture.
   */
  async publish(folder: string): Promise<void> {
    const files = await localFiles(this.localRoot, folder);
    const entries: PublishedFile[] = [];
    for (const file of files) {
      const body = await readFile(path.join(this.localRoot, ...file.key.split('/')));
      await this.store.put(file.key, body);
      entries.push({ name: file.key.slice(folder.length + 1), size: body.length, sha256: sha256(body) });
    }
    const manifest: z.infer<typeof manifestSchema> = { files: entries, publishedAt: new Date().toISOString() };
    await this.store.put(`${folder}/${MANIFEST}`, `${JSON.stringify(manifest, null, 2)}\n`);
  }

  /** The files of a published folder (by its manifest), or null when it was never published. */
  async published(folder: string): Promise<PublishedFile[] | null> {
    const body = await this.store.get(`${folder}/${MANIFEST}`);
    if (!body) return null;
    return manifestSchema.parse(JSON.parse(body.toString('utf8'))).files;
  }

  /**
   * Copies the named files of a published folder, when it was published, into the local
   * folder: all of one version. A file that does not match the manifest (the folder is being
   * republished) starts the reading over with the new manifest.
   */
  async fetchPublished(folder: string, names: readonly string[]): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const files = await this.published(folder);
      if (!files) return;
      const bodies: { name: string; body: Buffer }[] = [];
      let consistent = true;
      for (const file of files.filter((candidate) => names.includes(candidate.name))) {
        const body = await this.store.get(`${folder}/${file.name}`);
        // Manifests from before hashes were recorded are taken as they are.
        if (!body || (file.sha256 !== undefined && sha256(body) !== file.sha256)) {
          consistent = false;
          break;
        }
        bodies.push({ name: file.name, body });
      }
      if (consistent) {
        for (const { name, body } of bodies) await writeLocal(this.localRoot, `${folder}/${name}`, body, this.fileMode);
        return;
      }
      if (attempt >= REREAD_ATTEMPTS) throw new Error(`${this.store.url}/${folder}: its files kept changing while being read (being republished?); the step is retried`);
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }

  /**
   * The latest `limit` published folders under `kindPrefix` (an app's reports of one kind)
   * whose labels sort before `beforeLabel`: their `names` files copied into the local folder.
   */
  async fetchLatestPublished(kindPrefix: string, beforeLabel: string, limit: number, names: readonly string[]): Promise<void> {
    const labels = (await this.store.list(kindPrefix))
      .map((object) => object.key.slice(kindPrefix.length + 1).split('/'))
      .filter((parts) => parts.length === 2 && parts[1] === MANIFEST && (parts[0] ?? '') < beforeLabel)
      .map((parts) => parts[0] as string)
      .sort()
      .reverse()
      .slice(0, limit);
    for (const label of labels) await this.fetchPublished(`${kindPrefix}/${label}`, names);
  }

  async remove(prefix: string): Promise<void> {
    await this.store.removeAll(prefix);
    for (const key of [...this.known.keys()]) if (key.startsWith(`${prefix}/`)) this.known.delete(key);
  }

  /**
   * Runs an activity's work with `prefix` shared: pulled first, pushed before every heartbeat
   * that carries new details and once more at the end. Meanwhile keep-alive heartbeats repeat
   * the last details whose files are in the store.
   */
  async around<T>(context: Context | undefined, prefix: string, work: () => Promise<T>): Promise<T> {
    await this.pull(prefix);
    if (!context) {
      const result = await work();
      await this.push(prefix);
      return result;
    }
    const holder = context as unknown as { heartbeatFn: HeartbeatFn };
    const send = holder.heartbeatFn.bind(context);
    let confirmed: unknown = context.info.heartbeatDetails;
    let latest: unknown = confirmed;
    let pushing: Promise<void> | undefined;
    let failure: unknown;
    const drain = async (): Promise<void> => {
      while (latest !== confirmed) {
        const details = latest;
        await this.push(prefix);
        confirmed = details;
        send(confirmed);
      }
    };
    holder.heartbeatFn = (details?: unknown) => {
      latest = details;
      // Keeps the attempt alive while files upload, without naming a resume point not yet shared.
      send(confirmed);
      pushing ??= drain()
        .catch((error: unknown) => {
          failure = error;
        })
        .finally(() => {
          pushing = undefined;
        });
    };
    try {
      const result = await work();
      await pushing;
      if (failure) throw failure;
      await this.push(prefix);
      return result;
    } finally {
      holder.heartbeatFn = send;
    }
  }
}
