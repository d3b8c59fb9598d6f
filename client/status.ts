import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { progressQuery } from '../workflows';
import { readLiveProgress } from './live-progress';
import { progressLine } from './progress-display';
import { failureReason } from './report';

/** Statuses of a run that ended without a result. */
const FAILED = new Set(['FAILED', 'TIMED_OUT', 'TERMINATED', 'CANCELLED']);

export interface StatusReport {
  lines: string[];
  /** The run ended without a report. */
  failed: boolean;
}

/** Progress an activity attempt last reported (its heartbeat details), as `key value` pairs. */
function describeDetails(details: unknown): string {
  if (details === null || typeof details !== 'object') return details === undefined ? '' : String(details);
  return Object.entries(details as Record<string, unknown>)
    .filter(([, value]) => typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string')
    .map(([key, value]) => `${key} ${String(value)}`)
    .join(', ');
}

/** The running activities of a run (and of its running shards), with their live counts. */
async function runningLines(client: Client, description: WorkflowExecutionDescription, depth = 0): Promise<string[]> {
  const lines: string[] = [];
  const converter = client.workflow.options.loadedDataConverter;
  for (const activity of description.raw.pendingActivities ?? []) {
    const details = activity.heartbeatDetails?.payloads?.length ? (await decodeArrayFromPayloads(converter, activity.heartbeatDetails.payloads))[0] : undefined;
    const counts = describeDetails(details);
    lines.push(`  running: ${activity.activityType?.name ?? 'activity'} (attempt ${activity.attempt ?? 1})${counts ? `: ${counts}` : ''}`);
  }
  if (depth > 0) return lines;
  for (const child of description.raw.pendingChildren ?? []) {
    const childId = child.workflowId;
    if (!childId) continue;
    try {
      const childDescription = await client.workflow.getHandle(childId, child.runId ?? undefined).describe();
      const childLines = await runningLines(client, childDescription, depth + 1);
      lines.push(...childLines.map((line) => line.replace('  running: ', `  running: ${childId.split('/').pop() ?? ''} `)));
    } catch {
      // A shard that just finished: nothing running there any more.
    }
  }
  return lines;
}

/** The progress of a report workflow, as one line per field; the reason when it failed. */
export async function statusReport(client: Client, workflowId: string): Promise<StatusReport> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const status = description.status.name;
  const lines = [`${workflowId}: ${status}`];
  const failed = FAILED.has(status);
  if (failed) {
    try {
      await handle.result();
    } catch (error) {
      lines.push(`  reason: ${failureReason(error)}`);
    }
  }
  try {
    const progress = await handle.query(progressQuery);
    lines.push(`  phase: ${progress.phase}`, `  logs: ${progress.logsFetched}${progress.logsExpected === null ? '' : ` of ${progress.logsExpected}`}`, `  details: ${progress.detailsFetched}`);
    if (progress.folder) lines.push(`  folder: ${progress.folder}`);
  } catch {
    if (!failed) lines.push('  progress: not available (no worker has run this workflow yet)');
  }
  if (status === 'RUNNING') {
    // The same figures as the report's progress bar; the rate is over the run's life so far.
    try {
      const live = await readLiveProgress(client.workflow, workflowId);
      const seconds = Math.max(1, (Date.now() - description.startTime.getTime()) / 1000);
      const perRun = live.runsDone > 0 ? seconds / live.runsDone : null;
      const eta = perRun !== null && live.runsExpected !== null ? (live.runsExpected - live.runsDone) * perRun : null;
      lines.push(`  progress: ${progressLine(live, live.requests / seconds, eta)}`);
    } catch {
      // No progress to read yet: the phase lines above say as much.
    }
    lines.push(...(await runningLines(client, description)));
  }
  return { lines, failed };
}
