import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import type { NotifyChannel } from '../../common/report-options';
import { intentRecordSchema, sentRecordSchema, type IntentRecord, type SentRecord } from '../../common/notification-records';
import { writeFileAtomic } from '../storage';
import type { ObjectStore } from '../store';

/**
 * The durable record of what was sent, under `<outputDir>/.notifications/`: one small JSON
 * file per message key and channel. Temporal retries an activity, and a worker can die after
 * the far side accepted a message; only a record on disk, written right after acceptance,
 * lets the next attempt know not to send again. The intent record, written before sending,
 * makes the one unavoidable gap (crash between acceptance and the ledger write) visible and
 * pins the Message-ID, so a resend in that gap at least carries the same id.
 */

export const LEDGER_DIR = '.notifications';

const hash = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * `<sha256-prefix.identity@difyscope>`: the same for every resend of a message on a channel,
 * so mail clients and archives can recognise a duplicate. The identity part is reduced to the
 * characters RFC 5322 allows there; the hash covers the exact key, so two keys that reduce to
 * the same text still get different ids.
 */
export function messageIdFor(key: string, channel: NotifyChannel): string {
  const readable = key
    .replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^\.|\.$/g, '');
  return `<${hash(`${key}\n${channel}`).slice(0, 16)}.${readable}@difyscope>`;
}

export class NotificationLedger {
  readonly dir: string;

  /** With a shared store the ledger lives there, so every worker sees what any worker sent. */
  constructor(
    outputDir: string,
    private readonly store?: ObjectStore,
  ) {
    this.dir = path.join(path.resolve(outputDir), LEDGER_DIR);
  }

  private keyOf(file: string): string {
    return `${LEDGER_DIR}/${path.basename(file)}`;
  }

  private async write(file: string, text: string): Promise<void> {
    if (this.store) await this.store.put(this.keyOf(file), text);
    else await writeFileAtomic(file, text);
  }

  /** A readable, collision-free file name: identities hold `/` and may hold anything else. */
  fileFor(key: string, channel: NotifyChannel, suffix: 'sent' | 'intent'): string {
    const slug = key.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 120);
    return path.join(this.dir, `${slug}.${hash(key).slice(0, 12)}.${channel}.${suffix}.json`);
  }

  async sent(key: string, channel: NotifyChannel): Promise<SentRecord | null> {
    return this.read(sentRecordSchema, this.fileFor(key, channel, 'sent'));
  }

  async intent(key: string, channel: NotifyChannel): Promise<IntentRecord | null> {
    return this.read(intentRecordSchema, this.fileFor(key, channel, 'intent'));
  }

  async recordIntent(record: IntentRecord): Promise<void> {
    await this.write(this.fileFor(record.key, record.channel, 'intent'), `${JSON.stringify(record, null, 2)}\n`);
  }

  async recordSent(record: SentRecord): Promise<void> {
    await this.write(this.fileFor(record.key, record.channel, 'sent'), `${JSON.stringify(record, null, 2)}\n`);
  }

  private async read<S extends z.ZodType>(schema: S, file: string): Promise<z.output<S> | null> {
    let text: string;
    if (this.store) {
      const body = await this.store.get(this.keyOf(file));
      if (body === undefined) return null;
      text = body.toString('utf8');
    } else {
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // Writes are atomic, so this is damage from outside; guessing "not sent" could send twice.
      throw new LedgerError(`notification ledger file ${file} is not valid JSON; check it, and delete it to send that notification again`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new LedgerError(`notification ledger file ${file} is not a ledger record; check it, and delete it to send that notification again`);
    return parsed.data;
  }
}

export class LedgerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerError';
  }
}
