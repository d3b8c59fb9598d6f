import { defineSearchAttributeKey, SearchAttributeType, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ApplicationFailure,
  executeChild,
  ParentClosePolicy,
  patched,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { scheduledReportInputSchema, type ReportSummary, type ScheduledReportInput } from '../common/contracts';
import { summaryLine } from './metadata';
import { reportWorkflow } from './report';
import { childAttributes } from './child-attributes';
import { dailyWindow, weeklyWindow, WindowError, type ReportWindow } from '../common/window';

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

/** What a scheduled run returns when the same period is already being reported. */
export interface AlreadyRunning {
  alreadyRunning: string;
}

async function runPeriod(input: ScheduledReportInput, window: ReportWindow): Promise<ReportSummary | AlreadyRunning> {
  if (!input.app) throw ApplicationFailure.nonRetryable('workflow input: app is required', 'InvalidRequest');
  const workflowId = `${window.kind}/${input.app}/${window.label}`;
  try {
    return await startPeriod(input, window, workflowId);
  } catch (error) {
    // A trigger that bypassed the schedule's overlap policy: one report per period at a time.
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { alreadyRunning: workflowId };
    throw error;
  }
}

/** Web UI metadata of the period's report: `daily · support · 2025-03-09` and its search attributes. */
const WEB_UI_METADATA_PATCH = 'web-ui-metadata';

function startPeriod(input: ScheduledReportInput, window: ReportWindow, workflowId: string): Promise<ReportSummary> {
  const metadata = patched(WEB_UI_METADATA_PATCH);
  return executeChild(reportWorkflow, {
    workflowId,
    args: [{ app: input.app, from: window.from, to: window.to, kind: window.kind }],
    // A re-run of a period (backfill, manual trigger) replaces that period's report.
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    parentClosePolicy: ParentClosePolicy.TERMINATE,
    ...(metadata
      ? { staticSummary: summaryLine(window.kind, input.app, window.label), staticDetails: `${window.from} → ${window.to} (${window.timezone})`, typedSearchAttributes: childAttributes(window.kind, window.label, summaryLine(window.kind, input.app, window.label)) }
      : { staticSummary: `${window.kind} report · ${input.app} · ${window.label} (${window.timezone})` }),
  });
}

/** Input checked in the workflow, so a malformed start (a typo'd time zone) fails the workflow instead of retrying a task forever. */
const VALIDATE_INPUT_PATCH = 'validate-scheduled-input';

function validInput(input: unknown): ScheduledReportInput {
  const parsed = scheduledReportInputSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(input)';
  throw ApplicationFailure.nonRetryable(`workflow input: ${field}: ${issue?.message ?? 'invalid'}; fix the input (or run \`difyscope schedules apply\`)`, 'InvalidRequest');
}

/** The period's window; a bad reference time becomes the workflow's failure. */
function periodWindow(compute: () => ReportWindow): ReportWindow {
  try {
    return compute();
  } catch (error) {
    if (error instanceof WindowError) throw ApplicationFailure.nonRetryable(`workflow input: ${error.message}`, 'InvalidRequest');
    throw error;
  }
}

/** The daily report: the previous local calendar day of the scheduled time. */
export async function dailyReportWorkflow(input: ScheduledReportInput): Promise<ReportSummary | AlreadyRunning> {
  if (patched(VALIDATE_INPUT_PATCH)) {
    const valid = validInput(input);
    return runPeriod(valid, periodWindow(() => dailyWindow(scheduledTime(valid), valid.timezone, { weekends: valid.weekends })));
  }
  return runPeriod(input, dailyWindow(scheduledTime(input), input.timezone, { weekends: input.weekends }));
}

/** The weekly report: the previous ISO week (Monday 00:00 to Monday 00:00 local). */
export async function weeklyReportWorkflow(input: ScheduledReportInput): Promise<ReportSummary | AlreadyRunning> {
  if (patched(VALIDATE_INPUT_PATCH)) {
    const valid = validInput(input);
    return runPeriod(valid, periodWindow(() => weeklyWindow(scheduledTime(valid), valid.timezone)));
  }
  return runPeriod(input, weeklyWindow(scheduledTime(input), input.timezone));
}
