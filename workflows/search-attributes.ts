import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes of report workflows, so the Web UI (and `temporal workflow list
 * --query`) can filter "all daily reports of app support": `DifyscopeApp = "support" AND
 * DifyscopeKind = "daily"`. `difyscope dev` and `demo` register them on their dev server; a
 * cluster needs them registered once (README, "Running in production"). They are only set
 * where registered: an unknown attribute would fail the start.
 */
export const APP_ATTRIBUTE = defineSearchAttributeKey('DifyscopeApp', SearchAttributeType.KEYWORD);
export const KIND_ATTRIBUTE = defineSearchAttributeKey('DifyscopeKind', SearchAttributeType.KEYWORD);
export const PERIOD_ATTRIBUTE = defineSearchAttributeKey('DifyscopePeriod', SearchAttributeType.KEYWORD);
/**
 * The Web UI's workflow list shows search attributes as columns but not user metadata, so
 * the one-line summary is an attribute too: `daily · support · 2025-03-09` at the start,
 * `… · 1204 runs · 25 failed · complete` once the report is done.
 */
export const SUMMARY_ATTRIBUTE = defineSearchAttributeKey('DifyscopeSummary', SearchAttributeType.KEYWORD);

export const REPORT_ATTRIBUTES = [APP_ATTRIBUTE, KIND_ATTRIBUTE, PERIOD_ATTRIBUTE, SUMMARY_ATTRIBUTE] as const;
