import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Zippable } from 'fflate';
import { exists, listFiles } from '../storage';
import { nonRetryable } from './channel';

/**
 * Which report files go along with an e-mail (EMAIL_ATTACH), zipped into one archive when
 * together larger than EMAIL_ZIP_ABOVE_BYTES: mail servers cap message sizes, and CSV
 * compresses to a fraction.
 */

export interface Attachment {
  filename: string;
  content: Buffer;
}

export interface AttachmentSet {
  attachments: Attachment[];
  /** Named in EMAIL_ATTACH but absent from this report (e.g. a format it was not rendered in). */
  missing: string[];
  zipped: boolean;
}

/** `csv` → every *.csv of the folder; `none` → nothing; else a comma list of file names in the folder. */
export async function attachmentNames(folder: string, attach: string): Promise<{ names: string[]; missing: string[] }> {
  const setting = attach.trim();
  if (setting === 'none') return { names: [], missing: [] };
  if (setting === 'csv') return { names: await listFiles(folder, '.csv'), missing: [] };
  const wanted = [...new Set(setting.split(',').map((name) => name.trim()).filter(Boolean))];
  const unsafe = wanted.filter((name) => path.basename(name) !== name || name.startsWith('.'));
  if (unsafe.length > 0) {
    throw nonRetryable(`EMAIL_ATTACH: "${unsafe.join(', ')}" must be plain file names of the report folder, e.g. overview.csv,report.md`, 'ConfigError');
  }
  const names: string[] = [];
  const missing: string[] = [];
  for (const name of wanted) (await exists(path.join(folder, name)) ? names : missing).push(name);
  return { names, missing };
}

export async function collectAttachments(folder: string, attach: string, zipAboveBytes: number, zipName: string): Promise<AttachmentSet> {
  const { names, missing } = await attachmentNames(folder, attach);
  const attachments = await Promise.all(names.map(async (name) => ({ filename: name, content: await readFile(path.join(folder, name)) })));
  const total = attachments.reduce((sum, attachment) => sum + attachment.content.length, 0);
  if (attachments.length === 0 || total <= zipAboveBytes) return { attachments, missing, zipped: false };
  const files: Zippable = {};
  // A fixed timestamp keeps the archive byte-identical when the same report is sent again.
  for (const attachment of attachments) files[attachment.filename] = [new Uint8Array(attachment.content), { mtime: new Date('2000-01-01T00:00:00Z') }];
  const { zipSync } = await import('fflate');
  return { attachments: [{ filename: zipName, content: Buffer.from(zipSync(files, { level: 6 })) }], missing, zipped: true };
}
