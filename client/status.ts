import type { Client } from '@temporalio/client';
import { progressQuery } from '../workflows';

/** The progress of a report workflow, as one line per field. */
export async function statusLines(client: Client, workflowId: string): Promise<string[]> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const lines = [`${workflowId}: ${description.status.name}`];
  try {
    const progress = await handle.query(progressQuery);
    lines.push(`  phase: ${progress.phase}`, `  logs: ${progress.logsFetched}${progress.logsExpected === null ? '' : ` of ${progress.logsExpected}`}`, `  details: ${progress.detailsFetched}`);
    if (progress.folder) lines.push(`  folder: ${progress.folder}`);
  } catch {
    lines.push('  progress: not available (no worker has run this workflow yet)');
  }
  for (const activity of description.raw.pendingActivities ?? []) {
    lines.push(`  running: ${activity.activityType?.name ?? 'activity'} (attempt ${activity.attempt ?? 1})`);
  }
  return lines;
}
