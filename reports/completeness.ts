import type { Completeness } from '../common/contracts';
import type { Locale } from '../common/report-options';

/**
 * The completeness statement in the report's language, rebuilt from its counts so report
 * files and messages of a zh-CN report say it in Chinese while Temporal and logs keep the
 * English `line` stored with the counts.
 */
export function completenessIn(completeness: Completeness, locale: Locale): string {
  return locale === 'en' ? completeness.line : completenessText(completeness, locale);
}

export function completenessText(completeness: Omit<Completeness, 'line'>, locale: Locale = 'en'): string {
  const { fetched, expected, duplicates, invalid, detailFailures, nodeFailures, level, complete } = completeness;
  if (locale === 'zh-CN') {
    const parts = [`已获取 ${fetched}/${expected} 条运行记录`];
    if (duplicates > 0) parts.push(`去除重复 ${duplicates} 条`);
    if (invalid > 0) parts.push(`无效记录 ${invalid} 条`);
    if (level !== 'logs') parts.push(detailFailures === 0 ? '详情全部获取' : `缺少 ${detailFailures} 条详情`);
    if (level === 'nodes') parts.push(nodeFailures === 0 ? '节点执行全部获取' : `缺少 ${nodeFailures} 个节点列表`);
    return `${complete ? '完整' : '不完整'}：${parts.join('，')}`;
  }
  const parts = [`${fetched} of ${expected} runs fetched`];
  if (duplicates > 0) parts.push(`${duplicates} duplicates dropped`);
  if (invalid > 0) parts.push(`${invalid} invalid records`);
  if (level !== 'logs') parts.push(detailFailures === 0 ? 'details for all' : `${detailFailures} details missing`);
  if (level === 'nodes') parts.push(nodeFailures === 0 ? 'node executions for all' : `${nodeFailures} node lists missing`);
  return `${complete ? 'complete' : 'INCOMPLETE'}: ${parts.join(', ')}`;
}
