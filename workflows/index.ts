export { reportWorkflow, progressQuery } from './report';
export { dailyReportWorkflow, weeklyReportWorkflow } from './scheduled';
export { collectShardWorkflow } from './collect-shard';
