import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import path from 'node:path';
import { compareRuns } from '../reports';
import { StorageError } from './storage';

/** A run's place in report order (created_at, then log id) and what the per-run sheets need of it. */
export interface SortedEntry<T> {
  createdAt: number;
  logId: string;
  /** The caller's value (JSON: strings, numbers, arrays), given back as it was. */
  payload: T;
}

/** Payload characters buffered before a sorted chunk is spilled to a file (a few MB of strings). */
const CHUNK_CHARACTERS = 4_000_000;
/** Write buffer of a chunk file. */
const WRITE_BUFFER = 256 * 1024;
/** Read buffer of a chunk file: the merge reads up to the fan-in of them at once. */
const READ_BUFFER = 64 * 1024;

/**
 * Puts runs in report order with bounded memory: an external merge sort. Entries are buffered
 * up to `chunkSize` entries or a few million payload characters, each full buffer is sorted
 * and spilled to a scratch file under `dir` (plain NDJSON: written and read once, a moment
 * apart, compression would only cost time), and `sorted()` merges the files. A window that
 * fits one chunk never touches the disk. The raw file is in Dify's paging order (newest first,
 * not even that guaranteed), while the per-run sheets number questions in time order, hence the
 * sort. The payload is what the sheets print (their cells, already CSV text), so the merge
 * does not parse records again.
 */
export class RunSorter<T> {
  private buffer: SortedEntry<T>[] = [];
  private characters = 0;
  private chunks: string[] = [];
  private spilled = 0;

  constructor(
    private readonly dir: string,
    private readonly chunkSize = 20_000,
    /** Most files merged at once; more chunks are merged in rounds, so open files stay few. */
    private readonly fanIn = 64,
  ) {}

  /** `size`: about how many characters the payload holds, which bounds what is buffered. */
  async add(entry: SortedEntry<T>, size: number): Promise<void> {
    this.buffer.push(entry);
    this.characters += size;
    if (this.buffer.length >= this.chunkSize || this.characters >= CHUNK_CHARACTERS) await this.spill();
  }

  private async spill(): Promise<void> {
    if (this.buffer.length === 0) return;
    const chunk = this.buffer.sort(compareRuns);
    this.buffer = [];
    this.characters = 0;
    this.chunks.push(await this.write(chunk));
  }

  private async write(entries: Iterable<SortedEntry<T>> | AsyncIterable<SortedEntry<T>>): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    this.spilled += 1;
    const file = path.join(this.dir, `chunk-${String(this.spilled).padStart(6, '0')}.ndjson`);
    const stream = createWriteStream(file, { highWaterMark: WRITE_BUFFER });
    let failure: Error | undefined;
    stream.on('error', (error) => {
      failure ??= error;
    });
    try {
      let text = '';
      for await (const entry of entries) {
        text += `${JSON.stringify([entry.createdAt, entry.logId, entry.payload])}\n`;
        if (text.length < WRITE_BUFFER) continue;
        if (failure) throw failure;
        if (!stream.write(text)) await once(stream, 'drain');
        text = '';
      }
      if (failure) throw failure;
      await finished(stream.end(text));
    } catch (error) {
      stream.destroy();
      const cause = failure ?? error;
      throw new StorageError(`cannot write ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    return file;
  }

  /** Every entry added, oldest first. Call once, after the last `add`. */
  async *sorted(): AsyncGenerator<SortedEntry<T>> {
    if (this.chunks.length === 0) {
      yield* this.buffer.sort(compareRuns);
      this.buffer = [];
      return;
    }
    await this.spill();
    let files = this.chunks;
    while (files.length > this.fanIn) {
      const next: string[] = [];
      for (let at = 0; at < files.length; at += this.fanIn) {
        const group = files.slice(at, at + this.fanIn);
        next.push(await this.write(merge(group.map((file) => readEntries<T>(file)))));
        await Promise.all(group.map((file) => rm(file, { force: true })));
      }
      files = next;
    }
    yield* merge(files.map((file) => readEntries<T>(file)));
  }

  async cleanup(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** The entries of a chunk file, written by this class a moment ago. */
async function* readEntries<T>(file: string): AsyncGenerator<SortedEntry<T>> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  const toEntry = (line: string): SortedEntry<T> => {
    const [createdAt, logId, payload] = JSON.parse(line) as [number, string, T];
    return { createdAt, logId, payload };
  };
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: READ_BUFFER }) as AsyncIterable<Buffer>) {
      const text = rest + decoder.write(chunk);
      let start = 0;
      for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
        yield toEntry(text.slice(start, end));
        start = end + 1;
      }
      rest = text.slice(start);
    }
  } catch (error) {
    throw new StorageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  rest += decoder.end();
  if (rest !== '') yield toEntry(rest);
}

/** k-way merge of sorted sources; k is at most the fan-in, so a linear scan beats a heap. */
async function* merge<T>(sources: AsyncGenerator<SortedEntry<T>>[]): AsyncGenerator<SortedEntry<T>> {
  const heads = await Promise.all(sources.map((source) => source.next()));
  for (;;) {
    let best = -1;
    for (let at = 0; at < heads.length; at += 1) {
      const head = heads[at];
      const current = best === -1 ? undefined : heads[best];
      if (head && !head.done && (current === undefined || current.done || compareRuns(head.value, current.value) < 0)) best = at;
    }
    const winner = heads[best];
    const source = sources[best];
    if (best === -1 || !winner || winner.done || !source) return;
    yield winner.value;
    heads[best] = await source.next();
  }
}
