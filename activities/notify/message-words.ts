import type { Locale } from '../../common/report-options';

/**
 * The words of notifications per report locale. Figures keep one number format in every
 * language (see format.ts); only the words around them change.
 */

export interface MessageWords {
  kinds: Record<'daily' | 'weekly' | 'range', string>;
  runs: (count: string, one: boolean) => string;
  messagesIn: (count: string, one: boolean, conversations: string) => string;
  satisfied: (percent: string) => string;
  messagesLine: string;
  conversationsLine: string;
  satisfactionLine: string;
  noRatings: string;
  failedShare: (percent: string) => string;
  alert: string;
  incomplete: string;
  rulesBreached: string;
  runsLine: string;
  failedLine: string;
  usersLine: string;
  p95Line: string;
  tokensLine: string;
  costLine: string;
  changesAgainst: Record<'daily' | 'weekly' | 'range', string>;
  changeLabels: Record<string, string>;
  costIn: (currency: string) => string;
  topErrors: string;
  inNode: (node: string) => string;
  failed: string;
  couldNotProduce: (kind: string, app: string, period: string) => string;
  errorLine: string;
  workflowLine: (id: string) => string;
  reportLine: string;
  test: string;
  testSubject: string;
  testBody: (app: string) => string;
  unknownError: string;
}

const EN: MessageWords = {
  kinds: { daily: 'daily', weekly: 'weekly', range: 'range' },
  runs: (count, one) => `${count} ${one ? 'run' : 'runs'}`,
  messagesIn: (count, one, conversations) => `${count} ${one ? 'message' : 'messages'} in ${conversations} conversations`,
  satisfied: (percent) => `${percent} satisfied`,
  messagesLine: 'Messages',
  conversationsLine: 'Conversations',
  satisfactionLine: 'Satisfaction (end-user likes ÷ ratings)',
  noRatings: 'no ratings',
  failedShare: (percent) => `${percent} failed`,
  alert: 'ALERT',
  incomplete: 'INCOMPLETE',
  rulesBreached: '**ALERT**: rules breached',
  runsLine: 'Runs',
  failedLine: 'Failed',
  usersLine: 'Users',
  p95Line: 'p95 latency',
  tokensLine: 'Tokens',
  costLine: 'Cost',
  changesAgainst: { daily: '**Changes against the previous day**', weekly: '**Changes against the previous week**', range: '**Changes against the previous period**' },
  changeLabels: {
    runs: 'Runs',
    succeeded: 'Succeeded',
    failed: 'Failed',
    users: 'Users',
    sessions: 'Sessions',
    totalTokens: 'Tokens',
    p50ElapsedSeconds: 'p50 latency (s)',
    p95ElapsedSeconds: 'p95 latency (s)',
    tokenSpeed: 'Tokens/s',
    satisfaction: 'Satisfaction',
    cost: 'Cost',
  },
  costIn: (currency) => `Cost (${currency})`,
  topErrors: '**Top errors**',
  inNode: (node) => ` in ${node}`,
  failed: 'FAILED',
  couldNotProduce: (kind, app, period) => `**The ${kind} report of ${app} for ${period} could not be produced.**`,
  errorLine: 'Error',
  workflowLine: (id) => `Workflow id: ${id}: open it in the Temporal Web UI for the full history`,
  reportLine: 'Report',
  test: 'test',
  testSubject: 'channel check',
  testBody: (app) => `This is a test message from Difyscope for ${app}: this channel is configured and reachable.`,
  unknownError: 'unknown error',
};

const ZH: MessageWords = {
  kinds: { daily: '日报', weekly: '周报', range: '区间报告' },
  runs: (count) => `${count} 次运行`,
  messagesIn: (count, _one, conversations) => `${conversations} 个会话中 ${count} 条消息`,
  satisfied: (percent) => `满意度 ${percent}`,
  messagesLine: '消息数',
  conversationsLine: '会话数',
  satisfactionLine: '满意度（点赞 ÷ 评价）',
  noRatings: '无评价',
  failedShare: (percent) => `失败 ${percent}`,
  alert: '告警',
  incomplete: '数据不完整',
  rulesBreached: '**告警**：触发了以下规则',
  runsLine: '运行次数',
  failedLine: '失败',
  usersLine: '用户数',
  p95Line: 'p95 耗时',
  tokensLine: 'Token 总数',
  costLine: '费用',
  changesAgainst: { daily: '**与前一天相比**', weekly: '**与上一周相比**', range: '**与上一周期相比**' },
  changeLabels: {
    runs: '运行次数',
    succeeded: '成功',
    failed: '失败',
    users: '用户数',
    sessions: '会话数',
    totalTokens: 'Token 总数',
    p50ElapsedSeconds: 'p50 耗时（秒）',
    p95ElapsedSeconds: 'p95 耗时（秒）',
    tokenSpeed: 'Token/秒',
    satisfaction: '满意度',
    cost: '费用',
  },
  costIn: (currency) => `费用（${currency}）`,
  topErrors: '**主要错误**',
  inNode: (node) => `（节点 ${node}）`,
  failed: '失败',
  couldNotProduce: (kind, app, period) => `**${app} ${period} 的${kind}未能生成。**`,
  errorLine: '错误',
  workflowLine: (id) => `工作流 ID：${id}（在 Temporal Web UI 中打开可查看完整历史）`,
  reportLine: '报告',
  test: '测试',
  testSubject: '通道检查',
  testBody: (app) => `这是 Difyscope 为 ${app} 发送的测试消息：此通道已配置且可达。`,
  unknownError: '未知错误',
};

export function messageWords(locale: Locale): MessageWords {
  return locale === 'zh-CN' ? ZH : EN;
}
