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

export const REPORT_ATTRIBUTES = [APP_ATTRIBUTE, KIND_ATTRIBUTE, PERIOD_ATTRIBUTE] as const;
