import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { compareRuns } from '../reports';
import type { RunRecord } from '../reports/records';
import { readNdjsonGz, writeNdjsonGz } from './storage';

/**
 * Puts records in report order (created_at, then log id) with bounded memory: an external
 * merge sort. Records are buffered up to `chunkSize`, each full buffer is sorted and spilled to
 * a gzip NDJSON file under `dir`, and `sorted()` merges the files. A window that fits one chunk
 * never touches the disk. The raw file is in Dify's paging order (newest first, not even that
 * guaranteed), while the per-run sheets number questions in time order, hence the sort.
 */
export class RecordSorter {
  private buffer: RunRecord[] = [];
  private chunks: string[] = [];
  private spilled = 0;

  constructor(
    private readonly dir: string,
    private readonly chunkSize = 1000,
    /** Most files merged at once; more chunks are merged in rounds, so open files stay few. */
    private readonly fanIn = 32,
  ) {}

  async add(record: RunRecord): Promise<void> {
    this.buffer.push(record);
    if (this.buffer.length >= this.chunkSize) await this.spill();
  }

  private async spill(): Promise<void> {
    if (this.buffer.length === 0) return;
    const chunk = this.buffer.sort(compareRuns);
    this.buffer = [];
    this.chunks.push(await this.write(chunk));
  }

  private async write(records: Iterable<RunRecord> | AsyncIterable<RunRecord>): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    this.spilled += 1;
    const file = path.join(this.dir, `chunk-${String(this.spilled).padStart(6, '0')}.ndjson.gz`);
    await writeNdjsonGz(file, records);
    return file;
  }

  /** Every record added, oldest first. Call once, after the last `add`. */
  async *sorted(): AsyncGenerator<RunRecord> {
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
        next.push(await this.write(merge(group.map(readRecords))));
        await Promise.all(group.map((file) => rm(file, { force: true })));
      }
      files = next;
    }
    yield* merge(files.map(readRecords));
  }

  async cleanup(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function* readRecords(file: string): AsyncGenerator<RunRecord> {
  // Written by this class from RunRecords a moment ago; JSON keeps every field of one.
  for await (const value of readNdjsonGz(file)) yield value as RunRecord;
}

/** k-way merge of sorted sources; k is at most the fan-in, so a linear scan beats a heap. */
async function* merge(sources: AsyncGenerator<RunRecord>[]): AsyncGenerator<RunRecord> {
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
