import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import {
  ApplicationFailure,
  executeChild,
  ParentClosePolicy,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { ReportSummary, ScheduledReportInput } from '../common/contracts';
import { reportWorkflow } from './report';
import { dailyWindow, weeklyWindow, type ReportWindow } from './window';

/**
 * The period comes from the Schedule's scheduled time (TemporalScheduledStartTime), never from
 * the clock, so late starts, catch-ups after downtime and backfills all report the right period.
 */
const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

function scheduledTime(input: ScheduledReportInput): string {
  const fromSchedule = workflowInfo().typedSearchAttributes.get(SCHEDULED_START_TIME);
  if (fromSchedule) return fromSchedule.toISOString();
  if (input.at) return input.at;
  // Started by hand without `at`: the workflow's own start time is the only reference there is.
  return new Date(workflowInfo().startTime).toISOString();
}

async function runPeriod(input: ScheduledReportInput, window: ReportWindow): Promise<ReportSummary> {
  if (!input.app) throw ApplicationFailure.nonRetryable('workflow input: app is required', 'InvalidRequest');
  return executeChild(reportWorkflow, {
    workflowId: `${window.kind}/${input.app}/${window.label}`,
    args: [{ app: input.app, from: window.from, to: window.to, kind: window.kind }],
    // A re-run of a period (backfill, manual trigger) replaces that period's report.
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    parentClosePolicy: ParentClosePolicy.TERMINATE,
    staticSummary: `${window.kind} report · ${input.app} · ${window.label} (${window.timezone})`,
  });
}

/** The daily report: the previous local calendar day of the scheduled time. */
export async function dailyReportWorkflow(input: ScheduledReportInput): Promise<ReportSummary> {
  return runPeriod(input, dailyWindow(scheduledTime(input), input.timezone, { weekends: input.weekends }));
}

/** The weekly report: the previous ISO week (Monday 00:00 to Monday 00:00 local). */
export async function weeklyReportWorkflow(input: ScheduledReportInput): Promise<ReportSummary> {
  return runPeriod(input, weeklyWindow(scheduledTime(input), input.timezone));
}
