import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

/** Records a workflow's history for test/replay.test.ts, with the id it ran under. */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  const history = JSON.parse(historyToJSON(await handle.fetchHistory())) as unknown;
  await writeFile(path.join(__dirname, '..', 'histories', `${name}.json`), `${JSON.stringify({ workflowId: handle.workflowId, history })}\n`);
}
