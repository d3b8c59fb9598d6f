import type { NodeExecution, RunDetail, WorkflowLog } from '../common/dify-schemas';

/**
 * A run's detail built from what collection already has, so that at level `nodes` a run
 * costs one request instead of two: the log item carries the run's row (status, error,
 * times, tokens, steps: the very columns the detail reads) and the node executions carry the
 * request's inputs (the start node's inputs) and the run's outputs (the end node's outputs).
 *
 * Where they provably agree with `GET /v1/workflows/run/{id}` (Dify 1.14.1:
 * `core/app/workflow/layers/persistence.py` and graphon's engine; checked field by field
 * against a real server by test/live/run-records.test.ts):
 * - outputs: a succeeded run's are the merged outputs of its response nodes (end, answer,
 *   knowledge-index), so one end node's outputs; a failed or stopped run's are never
 *   recorded (`{}`).
 * - inputs: the request's inputs are the start node's inputs. The run's stored inputs add
 *   Dify's `sys.*` values, which no node execution records; of those the reports read only
 *   `sys.files`, which is why an app that takes files keeps asking for run details (see
 *   collect-details.ts). A built detail therefore has the request's inputs only.
 * Everything else makes the caller ask for the run detail, with the reason returned here.
 */

export type DerivedDetail = { detail: RunDetail } | { fallback: string };

/** Nodes whose outputs Dify merges into the run's outputs. */
const RESPONSE_NODE_TYPES = new Set(['end', 'answer', 'knowledge-index']);
/** Run states whose outputs are final; a running or paused run's are not yet. */
const OUTPUTS_SET = new Set(['succeeded', 'partial-succeeded']);
const OUTPUTS_NEVER_SET = new Set(['failed', 'stopped']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isFile = (value: unknown): boolean => isObject(value) && (value.dify_model_identity === '__dify__file__' || ('transfer_method' in value && 'related_id' in value));

/**
 * A file is serialised with a URL signed at that moment, so a start variable holding files
 * differs between the run's stored inputs and the start node's record.
 */
const holdsFiles = (value: unknown): boolean => isFile(value) || (Array.isArray(value) && value.some(isFile));

function runInputs(start: NodeExecution): Record<string, unknown> | string {
  if (start.status !== 'succeeded') return `start node ${start.status}`;
  if (start.inputs_truncated === true) return 'start node inputs truncated';
  if (!start.inputs) return 'start node without inputs';
  for (const value of Object.values(start.inputs)) if (holdsFiles(value)) return 'files in inputs';
  return start.inputs;
}

function runOutputs(status: string, responses: readonly NodeExecution[]): Record<string, unknown> | string {
  if (OUTPUTS_NEVER_SET.has(status)) return responses.length === 0 ? {} : `${status} run with a ${responses[0]?.node_type ?? ''} node`;
  if (!OUTPUTS_SET.has(status)) return `run ${status}`;
  if (responses.length === 0) return {};
  const [only] = responses;
  if (!only || only.node_type !== 'end') return `${only?.node_type ?? ''} node`;
  if (responses.length > 1) return `${responses.length} response nodes`;
  if (only.status !== 'succeeded') return `end node ${only.status}`;
  if (only.outputs_truncated === true) return 'end node outputs truncated';
  if (!only.outputs) return 'end node without outputs';
  return only.outputs;
}

/** The run detail `GET /v1/workflows/run/{id}` would answer (inputs without `sys.*`), or why it cannot be known here. */
export function detailFromNodes(log: WorkflowLog, nodes: readonly NodeExecution[]): DerivedDetail {
  const run = log.workflow_run;
  if (!run) return { fallback: 'log has no run' };
  let start: NodeExecution | undefined;
  const responses: NodeExecution[] = [];
  for (const node of nodes) {
    if (node.node_type === 'start') {
      if (start) return { fallback: 'two start nodes' };
      start = node;
    } else if (RESPONSE_NODE_TYPES.has(node.node_type)) {
      responses.push(node);
    }
  }
  if (!start) return { fallback: nodes.length === 0 ? 'no node executions' : 'no start node' };
  const inputs = runInputs(start);
  if (typeof inputs === 'string') return { fallback: inputs };
  const outputs = runOutputs(run.status, responses);
  if (typeof outputs === 'string') return { fallback: outputs };
  return {
    detail: {
      id: run.id,
      status: run.status,
      inputs,
      outputs,
      error: run.error ?? null,
      total_steps: run.total_steps ?? null,
      total_tokens: run.total_tokens ?? null,
      created_at: run.created_at,
      finished_at: run.finished_at ?? null,
      elapsed_time: run.elapsed_time ?? null,
    },
  };
}
