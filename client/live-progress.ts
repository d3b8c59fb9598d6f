import type { WorkflowClient, WorkflowExecutionDescription } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import type { LogCollection, Progress } from '../common/contracts';
import { DETAIL_CHUNK_SIZE, detailProgressSchema, logProgressSchema } from '../common/collection-progress';
import { progressQuery } from '../workflows';

/**
 * How far a report is, from what Temporal already holds: the workflow's `progress` query
 * (phases, and the counts of finished steps) and the heartbeat details of the collection
 * activities still running — in the report workflow or in its shard children — which say
 * how many runs' details are fetched. Nothing here asks the worker or Dify.
 */

export interface LiveProgress {
  phase: Progress['phase'];
  /** Runs whose details are fetched (or, once collection is over, all runs collected). */
  runsDone: number;
  /** Runs listed so far; grows while shards list theirs. Null while nothing is listed. */
  runsExpected: number | null;
  /** Requests made to Dify so far: log pages and detail (and node) requests. */
  requests: number;
  folder: string | null;
}

interface Running {
  detailsDone: number;
  logPages: number;
  /** Runs listed by the logs step of a running collection (known once its details step started). */
  listed: number;
  perRun: number;
}

async function running(client: WorkflowClient, workflowId: string, description: WorkflowExecutionDescription): Promise<Running> {
  const converter = client.options.loadedDataConverter;
  const found: Running = { detailsDone: 0, logPages: 0, listed: 0, perRun: 1 };
  for (const activity of description.raw.pendingActivities ?? []) {
    const payloads = activity.heartbeatDetails?.payloads;
    const details: unknown = payloads?.length ? (await decodeArrayFromPayloads(converter, payloads))[0] : undefined;
    const name = activity.activityType?.name ?? '';
    if (name === 'collectDetails') {
      // collect-details.ts heartbeats the chunks it saved; the runs of a chunk in progress show once it is saved.
      const progress = detailProgressSchema.safeParse(details);
      if (progress.success) found.detailsDone += progress.data.chunksDone * DETAIL_CHUNK_SIZE;
      // The logs step is over: its result is the details step's input, in this run's history.
      const history = await client.getHandle(workflowId).fetchHistory();
      for (const event of history.events ?? []) {
        const scheduled = event.activityTaskScheduledEventAttributes;
        if (scheduled?.activityType?.name !== 'collectDetails' || !scheduled.input?.payloads) continue;
        const [plan, logs] = (await decodeArrayFromPayloads(converter, scheduled.input.payloads)) as [{ level?: string } | undefined, LogCollection | undefined];
        found.listed += logs?.fetched ?? 0;
        found.logPages += logs?.pages ?? 0;
        if (plan?.level === 'nodes') found.perRun = 2;
      }
    } else if (name === 'collectLogs') {
      const progress = logProgressSchema.safeParse(details);
      if (progress.success) found.logPages += progress.data.answers;
    }
  }
  return found;
}

export async function readLiveProgress(client: WorkflowClient, workflowId: string): Promise<LiveProgress> {
  const handle = client.getHandle(workflowId);
  const progress = await handle.query(progressQuery);
  const description = await handle.describe();
  const parts = [await running(client, workflowId, description)];
  for (const child of description.raw.pendingChildren ?? []) {
    if (!child.workflowId) continue;
    try {
      parts.push(await running(client, child.workflowId, await client.getHandle(child.workflowId).describe()));
    } catch {
      // A shard that just finished: the progress query counts it now.
    }
  }
  const inflight = parts.reduce((sum, part) => ({ detailsDone: sum.detailsDone + part.detailsDone, logPages: sum.logPages + part.logPages, listed: sum.listed + part.listed, perRun: Math.max(sum.perRun, part.perRun) }), { detailsDone: 0, logPages: 0, listed: 0, perRun: 1 });
  // One window collects in the report workflow's own activities; a sharded one in children.
  const sharded = (description.raw.pendingChildren?.length ?? 0) > 0 || ((description.raw.pendingActivities?.length ?? 0) === 0 && progress.detailsFetched > 0);
  const collecting = progress.phase === 'starting' || progress.phase === 'collecting-logs' || progress.phase === 'collecting-details';
  let runsDone: number;
  let runsExpected: number | null;
  if (!collecting) {
    runsDone = progress.logsFetched;
    runsExpected = progress.logsFetched;
  } else if (sharded) {
    // Finished shards are in the query's counts; running ones in their heartbeats.
    runsDone = progress.logsFetched + inflight.detailsDone;
    runsExpected = progress.logsFetched + inflight.listed || null;
  } else {
    runsDone = inflight.detailsDone;
    runsExpected = progress.phase === 'collecting-details' ? progress.logsFetched || inflight.listed : inflight.listed || null;
  }
  const requests = inflight.logPages + runsDone * inflight.perRun;
  return { phase: progress.phase, runsDone, runsExpected: runsExpected === null ? null : Math.max(runsExpected, runsDone), requests, folder: progress.folder };
}
