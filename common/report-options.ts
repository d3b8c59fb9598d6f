import { z } from 'zod';
import { IANAZone } from 'luxon';

/**
 * The values a report is made with — formats, collection level, locale, time zone, alert
 * metrics — that the configuration validates, requests carry across the workflow boundary and
 * reports render by. Declared here once, so config/, common/contracts.ts and reports/ share them.
 */

export const REPORT_FORMATS = ['csv', 'md', 'json', 'html'] as const;
const COLLECT_LEVELS = ['logs', 'details', 'nodes'] as const;

export const collectLevelSchema = z.enum(COLLECT_LEVELS);
export const reportFormatSchema = z.enum(REPORT_FORMATS);
export const localeSchema = z.enum(['en', 'zh-CN']);

export const timezoneSchema = z
  .string()
  .refine((zone) => IANAZone.isValidZone(zone), { message: 'unknown time zone; use an IANA name such as Asia/Shanghai or UTC' });

/** Where a report's notifications can go: one file per channel in activities/notify/. */
export const NOTIFY_CHANNELS = ['email', 'dingtalk', 'feishu', 'wecom', 'webhook'] as const;
export const notifyChannelSchema = z.enum(NOTIFY_CHANNELS);

/** Metrics alert rules such as `failure_rate > 0.05`, `p95_latency_s > 30`, `runs < 10` compare. */
export const ALERT_METRICS = ['runs', 'failed', 'failure_rate', 'p95_latency_s', 'users', 'tokens', 'satisfaction', 'conversations'] as const;

export type CollectLevel = z.infer<typeof collectLevelSchema>;
export type ReportFormat = z.infer<typeof reportFormatSchema>;
export type Locale = z.infer<typeof localeSchema>;
export type NotifyChannel = z.infer<typeof notifyChannelSchema>;
