import type { SearchAttributePair } from '@temporalio/common';
import { workflowInfo } from '@temporalio/workflow';
import { APP_ATTRIBUTE, KIND_ATTRIBUTE, PERIOD_ATTRIBUTE, SUMMARY_ATTRIBUTE } from './search-attributes';

/**
 * The search attributes of a child (a shard, or a scheduled period's report), passed on from
 * this workflow's own: only those registered ever reach it (the client and `schedules apply`
 * set none that are not), and setting an unregistered one would fail the child's start.
 */
export function childAttributes(kind: string, period: string, summary: string): SearchAttributePair[] {
  const own = workflowInfo().typedSearchAttributes;
  const app = own.get(APP_ATTRIBUTE);
  if (app === undefined) return [];
  return [
    { key: APP_ATTRIBUTE, value: app },
    { key: KIND_ATTRIBUTE, value: kind },
    { key: PERIOD_ATTRIBUTE, value: period },
    ...(own.get(SUMMARY_ATTRIBUTE) === undefined ? [] : [{ key: SUMMARY_ATTRIBUTE, value: summary }]),
  ];
}
