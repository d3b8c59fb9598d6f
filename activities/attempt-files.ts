import { activityInfo } from '@temporalio/activity';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { removeFolder } from './storage';

/**
 * Names of scratch files owned by one activity attempt. A retried attempt may start while the
 * old one is still running (a timed-out attempt is only told to stop, and a lost worker may
 * come back): each writes only files named for itself and commits them by rename, so an older
 * attempt can never overwrite or delete what a newer one wrote.
 */
export interface AttemptTag {
  /** The workflow run: scratch of an earlier run of the same workflow id is never resumed from. */
  run: string;
  attempt: number;
}

export function currentAttempt(): AttemptTag {
  const info = activityInfo();
  // A standalone activity (no workflow) is its own run.
  return { run: info.workflowExecution?.runId ?? info.activityId, attempt: info.attempt };
}

/** A file-name-safe short form of the run id (its first group is unique enough per workflow id). */
export function runLabel(tag: AttemptTag): string {
  return (tag.run.split('-')[0] ?? tag.run).replace(/[^A-Za-z0-9]/g, '').slice(0, 16) || 'run';
}

/** `base.<run>-a<attempt><extension>`: one attempt's own version of a file. */
export function attemptFileName(base: string, extension: string, tag: AttemptTag): string {
  return `${base}.${runLabel(tag)}-a${tag.attempt}${extension}`;
}

/**
 * Removes the scratch of other runs of the same workflow id under `root` (a failed run that
 * never cleaned up saw another moment of Dify), keeping `keep`, this run's folder: this run's
 * other attempts, which may be newer, are never touched.
 */
export async function removeOtherRuns(root: string, keep: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return;
  }
  for (const name of names) if (name !== keep) await removeFolder(path.join(root, name));
}
