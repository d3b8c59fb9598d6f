import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { LogsPage } from './dify/client';
import type { WorkflowLog } from '../common/dify-schemas';
import { answerHeaderSchema, type AnswerHeader, type AnswerRequest, type Writers } from '../common/collection-progress';
import { attemptFileName, type AttemptTag } from './attempt-files';
import { exists, listFiles, readNdjsonGz, StorageError, writeFileAtomic, writeNdjsonGz } from './storage';

/**
 * Dify's answers to log listings, one file each, numbered in the order they were asked and
 * named for the attempt that asked: the scratch from which a collection is resumed and merged.
 */

/** Each file's first line is its AnswerHeader (common/collection-progress.ts); the entries follow. */

export function received(result: LogsPage): number {
  return result.items.length + result.outsideWindow + result.invalid.length;
}

const answerBase = (seq: number): string => `answer-${String(seq).padStart(6, '0')}`;

export function answerFile(dir: string, seq: number, attempt: number, tag: AttemptTag): string {
  return path.join(dir, attemptFileName(answerBase(seq), '.ndjson.gz', { ...tag, attempt }));
}

export async function saveAnswer(file: string, seq: number, request: AnswerRequest, result: LogsPage): Promise<AnswerHeader> {
  const header: AnswerHeader = {
    kind: 'answer',
    seq,
    request,
    total: result.total,
    hasMore: result.hasMore,
    received: received(result),
    outsideWindow: result.outsideWindow,
    oldest: result.oldest,
    invalid: result.invalid,
  };
  await writeNdjsonGz(file, [header, ...result.items]);
  return header;
}

export async function readAnswer(file: string): Promise<{ header: AnswerHeader; items: WorkflowLog[] }> {
  const items: WorkflowLog[] = [];
  let header: AnswerHeader | undefined;
  for await (const value of readNdjsonGz(file)) {
    if (header !== undefined) {
      // Entries were validated before they were saved (dify/client.ts) and are read back as written.
      items.push(value as WorkflowLog);
      continue;
    }
    const parsed = answerHeaderSchema.safeParse(value);
    if (!parsed.success) throw new StorageError(`scratch file ${file} holds no answer header`);
    header = parsed.data;
  }
  if (header === undefined) throw new StorageError(`scratch file ${file} holds no answer header`);
  return { header, items };
}

export function writerOf(writers: Writers, seq: number): number {
  for (const [attempt, last] of writers) if (seq <= last) return attempt;
  throw new Error(`no attempt wrote answer ${seq}`);
}

export function withWriter(writers: Writers, attempt: number, seq: number): Writers {
  const last = writers.at(-1);
  if (last && last[0] === attempt) return [...writers.slice(0, -1), [attempt, seq]];
  return [...writers, [attempt, seq]];
}

/** Every answer file of the chain exists (an attempt's state may outlive files removed by hand). */
export async function chainIsOnDisk(dir: string, writers: Writers, answers: number, tag: AttemptTag): Promise<boolean> {
  for (let seq = 1; seq <= answers; seq += 1) {
    if (!(await exists(answerFile(dir, seq, writerOf(writers, seq), tag)))) return false;
  }
  return true;
}

const stateFile = (dir: string, tag: AttemptTag): string => path.join(dir, attemptFileName('state', '.json', tag));

/** The attempt's progress on disk beside its answers: heartbeats are throttled, the disk is not. */
export async function saveState(dir: string, tag: AttemptTag, state: unknown): Promise<void> {
  await writeFileAtomic(stateFile(dir, tag), JSON.stringify(state));
}

/** States saved by earlier attempts of this run, any order. Unreadable ones are skipped. */
export async function earlierStates(dir: string, tag: AttemptTag): Promise<unknown[]> {
  const states: unknown[] = [];
  for (const name of await listFiles(dir, '.json')) {
    const match = /^state\.[A-Za-z0-9]+-a(\d+)\.json$/.exec(name);
    if (!match || Number(match[1]) >= tag.attempt) continue;
    try {
      states.push(JSON.parse(await readFile(path.join(dir, name), 'utf8')) as unknown);
    } catch {
      // A state cut short by a crash mid-write cannot happen (rename), but a corrupt disk can.
    }
  }
  return states;
}
