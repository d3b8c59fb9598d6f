import type { Locale } from '../common/report-options';

/**
 * File names and headers per locale. zh-CN keeps the predecessor's four sheets byte for byte
 * (names, headers, column set), because business users open them with existing spreadsheets;
 * the engineering sheets (runs, nodes, errors) keep English names in every locale.
 * A sheet module builds rows keyed by column id; the layout picks and orders the columns.
 */

export type Columns<K extends string> = readonly (readonly [key: K, header: string])[];

export interface SheetLayout<K extends string> {
  file: string;
  columns: Columns<K>;
}

export type OverviewKey = 'window_start' | 'window_end' | 'timezone' | 'runs' | 'users' | 'sessions' | 'avg_interactions' | 'token_speed' | 'satisfaction' | 'cost' | 'currency';
export type DailyKey = 'date' | 'runs' | 'succeeded' | 'failed' | 'users' | 'tokens' | 'cost' | 'currency' | 'p50_elapsed_s' | 'p95_elapsed_s';
export type UsersKey = 'user_id' | 'runs' | 'active_days' | 'first_seen' | 'last_seen' | 'failed_runs' | 'tokens';
export type QaKey = 'seq' | 'user_id' | 'session_id' | 'question_order' | 'question' | 'attachments' | 'answer' | 'knowledge_bases' | 'documents' | 'created_at' | 'run_id';
export type RunsKey =
  | 'log_id' | 'run_id' | 'status' | 'created_at' | 'finished_at' | 'elapsed_time' | 'total_tokens' | 'user_id' | 'session_id'
  | 'created_from' | 'error' | 'total_steps' | 'cost' | 'currency' | 'detail_status';
export type NodesKey =
  | 'node_id' | 'title' | 'node_type' | 'executions' | 'failures' | 'error_rate' | 'p50_elapsed_s' | 'p95_elapsed_s' | 'max_elapsed_s'
  | 'tokens' | 'cost' | 'currency' | 'share_of_run_time';
export type ErrorsKey = 'signature' | 'node' | 'count' | 'first_seen' | 'last_seen' | 'example_run_ids' | 'example' | 'new_signature';

export interface QaLayout {
  file: string;
  /** Columns before the retrieved segments. */
  before: Columns<QaKey>;
  segment: (index: number) => string;
  after: Columns<QaKey>;
  /** The predecessor's sheet starts with an empty row above the header. */
  blankFirstRow: boolean;
}

export interface SheetLayouts {
  overview: SheetLayout<OverviewKey>;
  daily: SheetLayout<DailyKey>;
  users: SheetLayout<UsersKey>;
  qaPairs: QaLayout;
  runs: SheetLayout<RunsKey>;
  nodes: SheetLayout<NodesKey>;
  errors: SheetLayout<ErrorsKey>;
}

/** English headers are the column ids themselves. */
function same<K extends string>(keys: readonly K[]): Columns<K> {
  return keys.map((key) => [key, key] as const);
}

const ENGINEERING = {
  runs: {
    file: 'runs.csv',
    columns: same<RunsKey>(['log_id', 'run_id', 'status', 'created_at', 'finished_at', 'elapsed_time', 'total_tokens', 'user_id', 'session_id', 'created_from', 'error', 'total_steps', 'cost', 'currency', 'detail_status']),
  },
  nodes: {
    file: 'nodes.csv',
    columns: same<NodesKey>(['node_id', 'title', 'node_type', 'executions', 'failures', 'error_rate', 'p50_elapsed_s', 'p95_elapsed_s', 'max_elapsed_s', 'tokens', 'cost', 'currency', 'share_of_run_time']),
  },
  errors: {
    file: 'errors.csv',
    columns: same<ErrorsKey>(['signature', 'node', 'count', 'first_seen', 'last_seen', 'example_run_ids', 'example', 'new_signature']),
  },
} as const;

const EN_LAYOUTS: SheetLayouts = {
  overview: {
    file: 'overview.csv',
    columns: same<OverviewKey>(['window_start', 'window_end', 'timezone', 'runs', 'users', 'sessions', 'avg_interactions', 'token_speed', 'satisfaction', 'cost', 'currency']),
  },
  daily: {
    file: 'daily.csv',
    columns: same<DailyKey>(['date', 'runs', 'succeeded', 'failed', 'users', 'tokens', 'cost', 'currency', 'p50_elapsed_s', 'p95_elapsed_s']),
  },
  users: {
    file: 'users.csv',
    columns: same<UsersKey>(['user_id', 'runs', 'active_days', 'first_seen', 'last_seen', 'failed_runs', 'tokens']),
  },
  qaPairs: {
    file: 'qa-pairs.csv',
    before: same<QaKey>(['seq', 'user_id', 'session_id', 'question_order', 'question', 'attachments', 'answer', 'knowledge_bases', 'documents']),
    segment: (index) => `segment_${index}`,
    after: same<QaKey>(['created_at', 'run_id']),
    blankFirstRow: false,
  },
  ...ENGINEERING,
};

// Copied from shared/seeds/templates/问答类应用数-*.csv; the tests compare them with the files' bytes.
const ZH_LAYOUTS: SheetLayouts = {
  overview: {
    file: '问答类应用数-总览.csv',
    columns: [
      ['window_start', '开始日期'],
      ['window_end', '结束日期'],
      ['runs', '全部消息数'],
      ['users', '用户数'],
      ['sessions', '全部会话数'],
      ['avg_interactions', '平均会话互动数'],
      ['token_speed', 'Token输出速度'],
      ['satisfaction', '用户满意度'],
      ['cost', '费用消耗'],
    ],
  },
  daily: {
    file: '问答类应用数-每日消息数.csv',
    columns: [
      ['date', '日期'],
      ['runs', '消息数量'],
    ],
  },
  users: {
    file: '问答类应用数-用户列表.csv',
    columns: [
      ['user_id', '用户ID'],
      ['runs', '消息数'],
      ['active_days', '使用天数'],
      ['first_seen', '首次使用日期'],
      ['last_seen', '最后使用日期'],
    ],
  },
  qaPairs: {
    file: '问答类应用数-用户问答对.csv',
    before: [
      ['seq', '序号'],
      ['user_id', '用户id'],
      ['session_id', '会话id'],
      ['question_order', '问题排序（同一个会话ID，提问先后顺序）'],
      ['question', '用户提问'],
      ['attachments', '附件名称：名称.后缀'],
      ['answer', 'AI回答'],
      ['knowledge_bases', '知识库名称'],
      ['documents', '引用的文档名称'],
    ],
    segment: (index) => `文本片段内容${index}（相似度+文本内容）`,
    after: [['created_at', '创建时间']],
    blankFirstRow: true,
  },
  ...ENGINEERING,
};

export function sheetLayouts(locale: Locale): SheetLayouts {
  return locale === 'zh-CN' ? ZH_LAYOUTS : EN_LAYOUTS;
}

/** Words of the Markdown and HTML summaries. */
export interface Labels {
  title: string;
  window: string;
  timezone: string;
  generated: string;
  completeness: string;
  incomplete: string;
  headline: string;
  runs: string;
  succeeded: string;
  failed: string;
  successRate: string;
  users: string;
  sessions: string;
  avgInteractions: string;
  tokens: string;
  tokenSpeed: string;
  cost: string;
  p50: string;
  p95: string;
  statusCounts: string;
  status: string;
  count: string;
  latency: string;
  costByCurrency: string;
  currency: string;
  perDay: string;
  date: string;
  busiestHours: string;
  hour: string;
  topUsers: string;
  user: string;
  failedRuns: string;
  activeDays: string;
  slowestRuns: string;
  run: string;
  created: string;
  elapsed: string;
  nodes: string;
  node: string;
  type: string;
  executions: string;
  failures: string;
  errorRate: string;
  share: string;
  errors: string;
  failedRunsList: string;
  question: string;
  error: string;
  signature: string;
  examples: string;
  changes: string;
  figure: string;
  current: string;
  previous: string;
  change: string;
  none: string;
  noNodeData: string;
  noCostData: string;
  newUsers: string;
  returningUsers: string;
  usersHistoryNote: string;
  nodesByTime: string;
  nodesByFailures: string;
  newSignature: string;
  yes: string;
  latencyDistribution: string;
  runsPerHour: string;
  hourByWeekday: string;
  weekdays: string;
  totalTime: string;
  satisfaction: string;
  trend: string;
  period: string;
  failureRate: string;
  trendRuns: string;
  adminSatisfaction: string;
  likes: string;
  dislikes: string;
  adminRatings: string;
  feedback: string;
  conversationLengths: string;
  messagesInConversation: string;
  conversations: string;
  worstRated: string;
  answer: string;
  comment: string;
  conversation: string;
}

const EN_LABELS: Labels = {
  title: 'Dify report',
  window: 'Window',
  timezone: 'Time zone',
  generated: 'Generated',
  completeness: 'Completeness',
  incomplete: 'INCOMPLETE REPORT — figures below miss data',
  headline: 'Headline figures',
  runs: 'Runs',
  succeeded: 'Succeeded',
  failed: 'Failed',
  successRate: 'Success rate',
  users: 'Users',
  sessions: 'Sessions',
  avgInteractions: 'Runs per session',
  tokens: 'Tokens',
  tokenSpeed: 'Tokens per second',
  cost: 'Cost',
  p50: 'p50 latency (s)',
  p95: 'p95 latency (s)',
  statusCounts: 'Status counts',
  status: 'Status',
  count: 'Count',
  latency: 'Latency (seconds)',
  costByCurrency: 'Cost by currency',
  currency: 'Currency',
  perDay: 'Runs per day',
  date: 'Date',
  busiestHours: 'Busiest hours',
  hour: 'Hour',
  topUsers: 'Top users',
  user: 'User',
  failedRuns: 'Failed runs',
  activeDays: 'Active days',
  slowestRuns: 'Slowest runs',
  run: 'Run',
  created: 'Created',
  elapsed: 'Elapsed (s)',
  nodes: 'Nodes',
  node: 'Node',
  type: 'Type',
  executions: 'Executions',
  failures: 'Failures',
  errorRate: 'Error rate',
  share: 'Share of run time',
  errors: 'Top errors',
  failedRunsList: 'Latest failed runs',
  question: 'Question',
  error: 'Error',
  signature: 'Error',
  examples: 'Example runs',
  changes: 'Change against the previous period',
  figure: 'Figure',
  current: 'This period',
  previous: 'Previous period',
  change: 'Change',
  none: 'None.',
  noNodeData: 'No node executions collected for this window.',
  noCostData: 'No cost data (node executions not collected).',
  newUsers: 'New users',
  returningUsers: 'Returning users',
  usersHistoryNote: 'against the previous {n} reports',
  nodesByTime: 'Nodes by time spent',
  nodesByFailures: 'Nodes by failures',
  newSignature: 'New',
  yes: 'new',
  latencyDistribution: 'Latency distribution',
  runsPerHour: 'Runs per hour',
  hourByWeekday: 'Runs by weekday and hour',
  weekdays: 'Mon,Tue,Wed,Thu,Fri,Sat,Sun',
  totalTime: 'Total time (s)',
  satisfaction: 'Satisfaction (end users)',
  trend: 'Trend over the last {n} periods',
  period: 'Period',
  failureRate: 'Failure rate',
  trendRuns: 'Runs per period',
  adminSatisfaction: 'Satisfaction (console ratings)',
  likes: 'Likes',
  dislikes: 'Dislikes',
  adminRatings: 'Console likes / dislikes',
  feedback: 'Feedback',
  conversationLengths: 'Conversation length',
  messagesInConversation: 'Messages in the window',
  conversations: 'Conversations',
  worstRated: 'Worst-rated answers',
  answer: 'Answer',
  comment: 'Comment',
  conversation: 'Conversation',
};

/** A chat app's runs are messages and its sessions conversations; the words say so. */
const EN_CHAT_LABELS: Partial<Labels> = {
  runs: 'Messages',
  sessions: 'Conversations',
  avgInteractions: 'Messages per conversation',
  perDay: 'Messages per day',
  slowestRuns: 'Slowest answers',
  failedRunsList: 'Latest failed messages',
  run: 'Message',
  runsPerHour: 'Messages per hour',
  hourByWeekday: 'Messages by weekday and hour',
};

const ZH_LABELS: Labels = {
  title: 'Dify 运行报告',
  window: '统计区间',
  timezone: '时区',
  generated: '生成时间',
  completeness: '数据完整性',
  incomplete: '报告不完整 — 以下数据有缺失',
  headline: '核心指标',
  runs: '全部消息数',
  succeeded: '成功',
  failed: '失败',
  successRate: '成功率',
  users: '用户数',
  sessions: '全部会话数',
  avgInteractions: '平均会话互动数',
  tokens: 'Token 总数',
  tokenSpeed: 'Token输出速度（每秒）',
  cost: '费用消耗',
  p50: 'p50 耗时（秒）',
  p95: 'p95 耗时（秒）',
  statusCounts: '状态分布',
  status: '状态',
  count: '次数',
  latency: '耗时（秒）',
  costByCurrency: '按币种费用',
  currency: '币种',
  perDay: '每日消息数',
  date: '日期',
  busiestHours: '最繁忙时段',
  hour: '小时',
  topUsers: '活跃用户',
  user: '用户',
  failedRuns: '失败次数',
  activeDays: '使用天数',
  slowestRuns: '最慢的运行',
  run: '运行',
  created: '创建时间',
  elapsed: '耗时（秒）',
  nodes: '节点',
  node: '节点',
  type: '类型',
  executions: '执行次数',
  failures: '失败次数',
  errorRate: '错误率',
  share: '占运行时间比例',
  errors: '主要错误',
  failedRunsList: '最近失败的运行',
  question: '用户提问',
  error: '错误',
  signature: '错误',
  examples: '示例运行',
  changes: '与上一周期相比',
  figure: '指标',
  current: '本期',
  previous: '上期',
  change: '变化',
  none: '无。',
  noNodeData: '本区间未采集节点执行数据。',
  noCostData: '无费用数据（未采集节点执行数据）。',
  newUsers: '新用户',
  returningUsers: '回访用户',
  usersHistoryNote: '对比此前 {n} 期报告',
  nodesByTime: '耗时最多的节点',
  nodesByFailures: '失败最多的节点',
  newSignature: '新出现',
  yes: '新',
  latencyDistribution: '耗时分布',
  runsPerHour: '每小时消息数',
  hourByWeekday: '按星期和小时的消息数',
  weekdays: '周一,周二,周三,周四,周五,周六,周日',
  totalTime: '总耗时（秒）',
  satisfaction: '用户满意度',
  trend: '最近 {n} 期趋势',
  period: '周期',
  failureRate: '失败率',
  trendRuns: '各期消息数',
  adminSatisfaction: '管理员评价满意度',
  likes: '点赞',
  dislikes: '点踩',
  adminRatings: '管理员点赞 / 点踩',
  feedback: '用户反馈',
  conversationLengths: '会话长度分布',
  messagesInConversation: '区间内消息数',
  conversations: '会话数',
  worstRated: '评价最差的回答',
  answer: 'AI回答',
  comment: '反馈内容',
  conversation: '会话',
};

const ZH_CHAT_LABELS: Partial<Labels> = {
  slowestRuns: '最慢的回答',
  failedRunsList: '最近失败的消息',
  run: '消息',
};

export function labels(locale: Locale, chatApp = false): Labels {
  const base = locale === 'zh-CN' ? ZH_LABELS : EN_LABELS;
  if (!chatApp) return base;
  return { ...base, ...(locale === 'zh-CN' ? ZH_CHAT_LABELS : EN_CHAT_LABELS) };
}
