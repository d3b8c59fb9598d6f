import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pipeline as pipelineStreams, Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { randomUUID } from 'node:crypto';

/**
 * Files under OUTPUT_DIR. Every write goes to a temporary name first and is renamed into
 * place, so a crash never leaves a half-written file or report folder behind.
 */

/** Owner-only unless OUTPUT_FILE_MODE says otherwise: reports hold what end users typed. */
export const DEFAULT_FOLDER_MODE = 0o700;

/** Files get the folder's permissions without execute bits (700 → 600, 750 → 640). */
export function fileModeOf(folderMode: number): number {
  return folderMode & 0o666;
}

/**
 * Creates `dir` (and missing parents) and sets its mode exactly: mkdir's mode is narrowed by
 * the umask, and an existing folder keeps whatever it had.
 */
export async function ensureFolder(dir: string, folderMode: number = DEFAULT_FOLDER_MODE): Promise<void> {
  await mkdir(dir, { recursive: true, mode: folderMode });
  await chmod(dir, folderMode);
}

/** Sets `folderMode` on `dir` and every folder below it, and the file mode on every file. */
export async function applyModes(dir: string, folderMode: number = DEFAULT_FOLDER_MODE): Promise<void> {
  await chmod(dir, folderMode);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) await applyModes(child, folderMode);
    else if (entry.isFile()) await chmod(child, fileModeOf(folderMode));
  }
}

const SAFE_SEGMENT = /^[A-Za-z0-9._][A-Za-z0-9._+-]*$/;

/** Joins relative segments under `root`, refusing anything that could escape it. */
export function resolveInside(root: string, relative: string): string {
  const segments = relative.split('/');
  for (const segment of segments) {
    if (!SAFE_SEGMENT.test(segment) || segment === '..' || segment === '.') {
      throw new Error(`unsafe path segment "${segment}" in "${relative}"`);
    }
  }
  const absoluteRoot = path.resolve(root);
  const target = path.resolve(absoluteRoot, ...segments);
  if (!target.startsWith(absoluteRoot + path.sep)) throw new Error(`path "${relative}" escapes ${absoluteRoot}`);
  return target;
}

/** A scratch or report file that could not be read or written, named with the cause (ENOENT, ENOSPC, a corrupt gzip). */
export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
  }
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

/** Runs a write to a temporary file, then renames it into place; on any failure the temporary file is removed. */
async function committed(file: string, folderMode: number, write: (temporary: string) => Promise<void>): Promise<void> {
  const temporary = `${file}.${randomUUID()}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: folderMode });
    await write(temporary);
    await chmod(temporary, fileModeOf(folderMode));
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    if (error instanceof StorageError) throw error;
    throw new StorageError(`cannot write ${file}: ${describe(error)}`, { cause: error });
  }
}

export async function writeFileAtomic(file: string, content: string | Buffer, folderMode: number = DEFAULT_FOLDER_MODE): Promise<void> {
  // Created with the mode (narrowed by the umask), so no one else can ever read it; chmod then sets it exactly.
  await committed(file, folderMode, (temporary) => writeFile(temporary, content, { mode: fileModeOf(folderMode) }));
}

/** Writes records as gzip-compressed NDJSON, atomically. Returns the number written. */
export async function writeNdjsonGz(file: string, records: Iterable<unknown> | AsyncIterable<unknown>, folderMode: number = DEFAULT_FOLDER_MODE): Promise<number> {
  let count = 0;
  async function* lines() {
    for await (const record of records) {
      count += 1;
      yield `${JSON.stringify(record)}\n`;
    }
  }
  // pipeline: an error on any stream (a full disk, a failing source) rejects here and destroys the others.
  await committed(file, folderMode, (temporary) => pipeline(Readable.from(lines()), createGzip(), createWriteStream(temporary, { mode: fileModeOf(folderMode) })));
  return count;
}

function parseLine(text: string, file: string, line: number): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new StorageError(`corrupt record on line ${line} of ${file}: ${describe(error)}`, { cause: error });
  }
}

const READ_BUFFER = 256 * 1024;

/**
 * Streams the records of a gzip-compressed NDJSON file, one parsed value at a time. The file
 * and the gunzip run in one pipeline, so a missing file, a truncated or corrupt gzip or a bad
 * line is an error thrown to the reader (and the activity fails with it), never an unhandled
 * 'error' event that would end the worker process.
 */
export async function* readNdjsonGz(file: string): AsyncGenerator<unknown> {
  // Large pieces: a report's raw file is hundreds of MB unpacked, and every piece costs a round
  // trip to the thread pool and a string concatenation.
  const gunzipped = pipelineStreams(createReadStream(file, { highWaterMark: READ_BUFFER }), createGunzip({ chunkSize: READ_BUFFER }), () => {
    // Errors reach the consumer through the iterator below: pipeline destroys the last stream with them.
  });
  // TextDecoder: faster than StringDecoder on mostly non-ASCII text; ignoreBOM keeps a BOM as text, as StringDecoder did.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  let rest = '';
  let line = 0;
  try {
    for await (const chunk of gunzipped as AsyncIterable<Buffer>) {
      const text = rest + decoder.decode(chunk, { stream: true });
      let start = 0;
      for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
        line += 1;
        const piece = text.slice(start, end);
        start = end + 1;
        if (piece.trim() !== '') yield parseLine(piece, file, line);
      }
      rest = text.slice(start);
    }
    rest += decoder.decode();
  } catch (error) {
    if (error instanceof StorageError) throw error;
    throw new StorageError(`cannot read ${file}: ${describe(error)}`, { cause: error });
  } finally {
    gunzipped.destroy();
  }
  line += 1;
  if (rest.trim() !== '') yield parseLine(rest, file, line);
}

export async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

export async function listFiles(dir: string, suffix: string): Promise<string[]> {
  if (!(await exists(dir))) return [];
  const names = await readdir(dir);
  return names.filter((name) => name.endsWith(suffix)).sort();
}

/**
 * Replaces `target` (a folder) with `staged` in two renames, so readers see either the old
 * report or the new one, never a mixture.
 */
export async function replaceFolder(staged: string, target: string, folderMode: number = DEFAULT_FOLDER_MODE): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true, mode: folderMode });
  const previous = `${target}.${randomUUID()}.old`;
  const hadPrevious = await exists(target);
  if (hadPrevious) await rename(target, previous);
  await rename(staged, target);
  if (hadPrevious) await rm(previous, { recursive: true, force: true });
}

export async function removeFolder(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
