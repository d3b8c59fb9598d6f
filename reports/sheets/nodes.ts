import type { Aggregates } from '../aggregate';
import { project, type Sheet } from '../csv';
import { sheetLayouts, type NodesKey } from '../locale';
import { cell, costCells } from '../numbers';
import type { ReportContext } from '../types';

/**
 * Per (node id, title, type), where the time goes first. A header alone means node executions
 * were not collected at this level, which the completeness line explains.
 */
export function nodesSheet(aggregates: Aggregates, ctx: ReportContext): Sheet {
  const layout = sheetLayouts(ctx.locale).nodes;
  const rows = aggregates.nodes.map((node): Record<NodesKey, string> => ({
    node_id: node.nodeId,
    title: node.title,
    node_type: node.nodeType,
    executions: String(node.executions),
    failures: String(node.failures),
    error_rate: String(node.errorRate),
    p50_elapsed_s: cell(node.p50ElapsedSeconds),
    p95_elapsed_s: cell(node.p95ElapsedSeconds),
    max_elapsed_s: cell(node.maxElapsedSeconds),
    tokens: String(node.tokens),
    ...costCells(node.cost),
    share_of_run_time: cell(node.shareOfRunTime),
  }));
  return { name: layout.file, rows: project(layout.columns, rows) };
}
