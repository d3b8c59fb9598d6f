import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { detailFromNodes } from '../activities/detail-from-nodes';
import type { NodeExecution, WorkflowLog } from '../common/dify-schemas';

/** When a run's detail may be built from its log item and node executions, and when it must be asked for. */

const RUN_ID = '22222222-0000-4000-8000-000000000001';

function logOf(status: string, error: string | null = null): WorkflowLog {
  return {
    id: '11111111-0000-4000-8000-000000000001',
    workflow_run: { id: RUN_ID, status, error, elapsed_time: 1.25, total_tokens: 42, total_steps: 3, created_at: 1741000000, finished_at: 1741000002 },
    created_from: 'service-api',
    created_by_role: 'end_user',
    created_by_end_user: { id: 'eu', type: 'service-api', is_anonymous: false, session_id: 'alice' },
    created_at: 1741000002,
  };
}

let index = 0;
function node(node_type: string, fields: Partial<NodeExecution> = {}): NodeExecution {
  index += 1;
  return { id: `node-${index}`, index, node_id: `${node_type}-${index}`, node_type, title: node_type, status: 'succeeded', inputs: {}, outputs: {}, ...fields };
}

const start = (inputs: Record<string, unknown> = { query: '你好, "world"' }, fields: Partial<NodeExecution> = {}): NodeExecution => node('start', { inputs, outputs: inputs, ...fields });
const end = (outputs: Record<string, unknown> = { text: 'answer' }, fields: Partial<NodeExecution> = {}): NodeExecution => node('end', { inputs: outputs, outputs, ...fields });
const FILE = { dify_model_identity: '__dify__file__', transfer_method: 'local_file', related_id: 'f1', filename: 'a.pdf', url: '/files/f1?sign=x' };

describe('detailFromNodes', () => {
  it('a succeeded run: the log row, the start node inputs and the end node outputs', () => {
    const result = detailFromNodes(logOf('succeeded'), [start(), node('llm', { outputs: { text: 'draft' } }), end({ text: 'answer' })]);
    assert.deepEqual(result, {
      detail: { id: RUN_ID, status: 'succeeded', inputs: { query: '你好, "world"' }, outputs: { text: 'answer' }, error: null, total_steps: 3, total_tokens: 42, created_at: 1741000000, finished_at: 1741000002, elapsed_time: 1.25 },
    });
  });

  it('a failed or stopped run without an end node: outputs are never recorded, so {}', () => {
    for (const status of ['failed', 'stopped']) {
      const result = detailFromNodes(logOf(status, 'boom'), [start(), node('http-request', { status: 'failed', error: 'boom' })]);
      assert.ok('detail' in result);
      assert.deepEqual(result.detail.outputs, {});
      assert.equal(result.detail.error, 'boom');
    }
  });

  it('a partial success reaches its end node: its outputs', () => {
    const result = detailFromNodes(logOf('partial-succeeded'), [start(), node('http-request', { status: 'exception' }), end({ text: 'fallback' })]);
    assert.ok('detail' in result);
    assert.deepEqual(result.detail.outputs, { text: 'fallback' });
  });

  it('asks for the run detail wherever the nodes cannot tell', () => {
    const cases: [string, WorkflowLog, NodeExecution[]][] = [
      ['no node executions', logOf('succeeded'), []],
      ['no start node', logOf('succeeded'), [node('trigger-webhook'), end()]],
      ['start node inputs truncated', logOf('succeeded'), [start({ query: 'cut' }, { inputs_truncated: true }), end()]],
      ['end node outputs truncated', logOf('succeeded'), [start(), end({ text: 'cut' }, { outputs_truncated: true })]],
      ['files in inputs', logOf('succeeded'), [start({ query: 'q', doc: [FILE] }), end()]],
      ['answer node', logOf('succeeded'), [start(), node('answer', { outputs: { answer: 'hi' } })]],
      ['2 response nodes', logOf('succeeded'), [start(), end(), end()]],
      ['failed run with a end node', logOf('failed'), [start(), end()]],
      ['run running', logOf('running'), [start()]],
      ['run paused', logOf('paused'), [start()]],
      ['two start nodes', logOf('succeeded'), [start(), start(), end()]],
      ['end node failed', logOf('succeeded'), [start(), end({}, { status: 'failed' })]],
    ];
    for (const [reason, log, nodes] of cases) assert.deepEqual(detailFromNodes(log, nodes), { fallback: reason }, reason);
    assert.deepEqual(detailFromNodes({ ...logOf('succeeded'), workflow_run: null }, [start(), end()]), { fallback: 'log has no run' });
  });
});
