export { reportWorkflow, progressQuery } from './report';
export { dailyReportWorkflow, weeklyReportWorkflow } from './scheduled';
