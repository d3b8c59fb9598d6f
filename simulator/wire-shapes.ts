import { pythonJson, rfc822 } from './http-kit';
import type { DifyProfile } from './profiles';
import type { SimulatedLog, SimulatedNodeExecution } from './store';

/**
 * Store records → the JSON an era's Dify sends (contract 2.3, 2.4, 4.2). The store keeps
 * the newest shape; older eras drop fields added later and use their own encodings.
 */

/** Fields added over time: exceptions_count (~0.14), triggered_from and item `details` (~1.10). */
function generation(profile: DifyProfile): 0 | 1 | 2 {
  if (profile.era === 'legacy') return 0;
  if (profile.era === 'tokenpair') return 1;
  return 2;
}

export function logItem(log: SimulatedLog, profile: DifyProfile): Record<string, unknown> {
  const gen = generation(profile);
  const run = log.run;
  const workflowRun: Record<string, unknown> = {
    id: run.id,
    version: run.version,
    status: run.status,
    error: run.error,
    elapsed_time: run.elapsed_time,
    total_tokens: run.total_tokens,
    total_steps: run.total_steps,
    created_at: run.created_at,
    finished_at: run.finished_at,
  };
  if (gen >= 1) workflowRun.exceptions_count = run.exceptions_count;
  if (gen >= 2) workflowRun.triggered_from = run.triggered_from;
  const item: Record<string, unknown> = {
    id: log.id,
    workflow_run: workflowRun,
    created_from: log.created_from,
    created_by_role: log.created_by_role,
    created_by_account: log.created_by_account,
    created_by_end_user: log.created_by_end_user,
    created_at: log.created_at,
  };
  if (gen >= 2) item.details = null;
  return item;
}

const RUN_DETAIL_FIELDS = ['id', 'workflow_id', 'status', 'inputs', 'outputs', 'error', 'total_steps', 'total_tokens', 'created_at', 'finished_at', 'elapsed_time'];

/** What 0.x–1.11 marshalled for a missing run: every field null, HTTP 200. */
export const nullRunDetail = (): Record<string, null> => Object.fromEntries(RUN_DETAIL_FIELDS.map((field) => [field, null]));

export function serviceRunDetail(log: SimulatedLog, profile: DifyProfile): Record<string, unknown> {
  const run = log.run;
  const time = (seconds: number | null) => (seconds === null ? null : profile.runDetailTimestamps === 'rfc822' ? rfc822(seconds) : seconds);
  // inputs is the raw Text column in every era; outputs became an object in the pause era.
  const outputs = profile.runDetailOutputs === 'object' ? (run.outputs ?? {}) : run.outputs === null ? null : pythonJson(run.outputs);
  return {
    id: run.id,
    workflow_id: run.workflow_id,
    status: run.status,
    inputs: pythonJson(run.inputs),
    outputs,
    error: run.error,
    total_steps: run.total_steps,
    total_tokens: run.total_tokens,
    created_at: time(run.created_at),
    finished_at: time(run.finished_at),
    elapsed_time: run.elapsed_time,
  };
}

export function consoleRunDetail(log: SimulatedLog, profile: DifyProfile): Record<string, unknown> {
  const run = log.run;
  const detail: Record<string, unknown> = {
    id: run.id,
    version: run.version,
    graph: { nodes: [], edges: [] },
    inputs: run.inputs,
    status: run.status,
    outputs: run.outputs ?? {},
    error: run.error,
    elapsed_time: run.elapsed_time,
    total_tokens: run.total_tokens,
    total_steps: run.total_steps,
    created_by_role: log.created_by_role,
    created_by_account: log.created_by_account,
    created_by_end_user: log.created_by_end_user,
    created_at: run.created_at,
    finished_at: run.finished_at,
  };
  if (generation(profile) >= 1) detail.exceptions_count = run.exceptions_count;
  return detail;
}

export function consoleNode(node: SimulatedNodeExecution, log: SimulatedLog, profile: DifyProfile): Record<string, unknown> {
  const shape: Record<string, unknown> = {
    id: node.id,
    index: node.index,
    predecessor_node_id: node.predecessor_node_id,
    node_id: node.node_id,
    node_type: node.node_type,
    title: node.title,
    inputs: node.inputs,
    process_data: node.process_data,
    outputs: node.outputs,
    status: node.status,
    error: node.error,
    elapsed_time: node.elapsed_time,
    execution_metadata: node.execution_metadata,
    extras: {},
    created_at: node.created_at,
    created_by_role: log.created_by_role,
    created_by_account: log.created_by_account,
    created_by_end_user: log.created_by_end_user,
    finished_at: node.finished_at,
  };
  // 1.14 answers empty objects where older releases had null.
  if (profile.release114) {
    for (const field of ['inputs', 'process_data', 'outputs', 'execution_metadata']) shape[field] ??= {};
  }
  // Large-variable offload flags exist from ~1.9.
  if (generation(profile) >= 2) Object.assign(shape, { inputs_truncated: false, outputs_truncated: false, process_data_truncated: false });
  return shape;
}
