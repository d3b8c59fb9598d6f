import { activityInfo } from '@temporalio/activity';

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
