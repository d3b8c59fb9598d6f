import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { detailFromNodes } from '../../activities/detail-from-nodes';
import { DifyClient } from '../../activities/dify/client';
import type { CollectedRun, NodeExecution, RunDetail, WorkflowLog } from '../../common/dify-schemas';
import { attachmentsOf, questionOf } from '../../reports/qa';
import { toRunRecord } from '../../reports/records';
import { liveDify } from './harness';

/**
 * The proof behind one request per run (activities/detail-from-nodes.ts), on a real Dify:
 * for every seeded run, the run detail built from the log item and the node executions
 * equals `GET /v1/workflows/run/{id}` field by field, and so does the run record the reports
 * read. Exceptions, each asserted here: the built detail has no `workflow_id` (nothing but
 * the detail carries it; no report reads it), and its inputs are the request's inputs,
 * without the `sys.*` values Dify adds to the stored inputs and records in no node execution.
 */

/** The `sys.*` values Dify 1.14.1 stores with a workflow run's inputs. */
const SYSTEM_INPUTS = ['sys.files', 'sys.user_id', 'sys.app_id', 'sys.timestamp', 'sys.workflow_id', 'sys.workflow_run_id'];
const FIELDS = ['id', 'status', 'outputs', 'error', 'total_steps', 'total_tokens', 'created_at', 'finished_at', 'elapsed_time'] as const;

const requestInputs = (inputs: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(inputs).filter(([key]) => !key.startsWith('sys.')));

async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const at = next++;
      results[at] = await work(items[at] as T);
    }
  };
  await Promise.all(Array.from({ length: limit }, lane));
  return results;
}

describe('run records from node executions, on a real Dify', () => {
  it('equal the run details field by field for every seeded run', { timeout: 300_000 }, async () => {
    const { seed } = await liveDify();
    const dify = new DifyClient({
      baseUrl: seed.url,
      apiToken: seed.workflowApiKey,
      appId: seed.workflowAppId,
      console: { kind: 'password', email: seed.consoleEmail, password: seed.consolePassword },
      consoleAuth: 'auto',
      timeoutMs: 30_000,
      maxRetries: 4,
      concurrency: 4,
    });
    try {
      // The seeded app has no upload feature: the gate that lets collection skip run details.
      assert.equal(await dify.takesFiles(), false);

      const logs = new Map<string, WorkflowLog>();
      for (let page = 1; ; page += 1) {
        const result = await dify.logsPage({ page, limit: 100, from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' });
        for (const item of result.items) if (item.workflow_run) logs.set(item.workflow_run.id, item);
        if (!result.hasMore || result.items.length === 0) break;
      }
      const runs = seed.workflowRuns;
      assert.ok(runs.length >= 100, `${runs.length} seeded runs`);

      const compared = await mapBounded(runs, 4, async (seeded): Promise<{ status: string; steps: number }> => {
        const log = logs.get(seeded.id);
        assert.ok(log, `run ${seeded.id} is in the logs`);
        const [nodes, detail]: [NodeExecution[], RunDetail | null] = await Promise.all([dify.nodeExecutions(seeded.id), dify.runDetail(seeded.id)]);
        assert.ok(detail, `run ${seeded.id} has a detail`);
        const built = detailFromNodes(log, nodes);
        assert.ok('detail' in built, `run ${seeded.id} (${detail.status}): ${'fallback' in built ? built.fallback : ''}`);

        for (const field of FIELDS) assert.deepEqual(built.detail[field], detail[field], `${field} of run ${seeded.id}`);
        assert.equal(built.detail.workflow_id, undefined);
        const stored = detail.inputs ?? {};
        assert.deepEqual(built.detail.inputs, requestInputs(stored), `inputs of run ${seeded.id}`);
        assert.deepEqual(built.detail.inputs, { query: seeded.query });
        assert.deepEqual(Object.keys(stored).filter((key) => key.startsWith('sys.')).sort(), [...SYSTEM_INPUTS].sort());
        assert.deepEqual(stored['sys.files'], []);
        // Outputs were what the run answered when it was made (a failed run's are {}).
        assert.deepEqual(built.detail.outputs, seeded.status === 'failed' ? {} : seeded.outputs);

        // The run record the reports read: every field alike but the system inputs.
        const fromNodes = toRunRecord({ log, detail: built.detail, nodes, problems: [], detailFrom: 'nodes' } satisfies CollectedRun);
        const fromDetail = toRunRecord({ log, detail, nodes, problems: [] } satisfies CollectedRun);
        assert.deepEqual({ ...fromNodes, inputs: null }, { ...fromDetail, inputs: null }, `record of run ${seeded.id}`);
        assert.deepEqual(fromNodes.inputs, requestInputs(fromDetail.inputs));
        assert.equal(questionOf(fromNodes, ['query', 'sys.query']), questionOf(fromDetail, ['query', 'sys.query']));
        assert.deepEqual(attachmentsOf(fromNodes), attachmentsOf(fromDetail));
        return { status: detail.status, steps: nodes.length };
      });
      const statuses = new Set(compared.map((run) => run.status));
      assert.ok(statuses.has('succeeded') && statuses.has('failed'), [...statuses].join(', '));
    } finally {
      await dify.close();
    }
  });
});
