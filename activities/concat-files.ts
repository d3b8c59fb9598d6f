import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { DEFAULT_FOLDER_MODE, fileModeOf } from './storage';

/**
 * Joins gzip files byte for byte into one, atomically. A gzip file may hold several members
 * one after the other (RFC 1952; gunzip, zcat, Node and Python read them as one stream), so
 * merging chunks or shards never parses, re-serialises or re-compresses a record.
 * No sources give an empty gzip file, not an empty file.
 */
export async function concatenateGzipFiles(target: string, sources: readonly string[], folderMode: number = DEFAULT_FOLDER_MODE): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true, mode: folderMode });
  const temporary = `${target}.${randomUUID()}.tmp`;
  const out = createWriteStream(temporary, { mode: fileModeOf(folderMode) });
  const closed = new Promise<void>((resolve, reject) => {
    out.once('close', resolve);
    out.once('error', reject);
  });
  try {
    if (sources.length === 0) out.write(gzipSync(''));
    for (const source of sources) {
      for await (const block of createReadStream(source)) {
        if (!out.write(block)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
    }
  } finally {
    out.end();
    await closed;
  }
  await chmod(temporary, fileModeOf(folderMode));
  await rename(temporary, target);
}
