import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectStore } from './index';

/** The store as a folder: a shared volume (NFS, a Kubernetes ReadWriteMany claim) or one disk. */
export class FileStore implements ObjectStore {
  readonly url: string;

  constructor(
    private readonly root: string,
    private readonly fileMode: number,
  ) {
    this.url = `file://${root}`;
  }

  location(key: string): string {
    return this.pathOf(key);
  }

  private pathOf(key: string): string {
    const target = path.resolve(this.root, ...key.split('/'));
    if (!target.startsWith(path.resolve(this.root) + path.sep)) throw new Error(`key "${key}" escapes ${this.root}`);
    return target;
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    const file = this.pathOf(key);
    // Folders get execute bits wherever files get read bits (600 → 700, 640 → 750).
    await mkdir(path.dirname(file), { recursive: true, mode: this.fileMode | ((this.fileMode & 0o444) >> 2) });
    const temporary = `${file}.${randomUUID()}.tmp`;
    await writeFile(temporary, body, { mode: this.fileMode });
    await chmod(temporary, this.fileMode);
    await rename(temporary, file);
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<{ key: string; size: number }[]> {
    const base = this.pathOf(prefix);
    const found: { key: string; size: number }[] = [];
    const walk = async (dir: string, relative: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw error;
      }
      for (const entry of entries) {
        const key = `${relative}/${entry.name}`;
        if (entry.isDirectory()) await walk(path.join(dir, entry.name), key);
        else if (entry.isFile() && !entry.name.endsWith('.tmp')) found.push({ key, size: (await stat(path.join(dir, entry.name))).size });
      }
    };
    await walk(base, prefix);
    return found.sort((a, b) => a.key.localeCompare(b.key));
  }

  async removeAll(prefix: string): Promise<void> {
    await rm(this.pathOf(prefix), { recursive: true, force: true });
  }

  close(): void {
    // Nothing held open.
  }
}
