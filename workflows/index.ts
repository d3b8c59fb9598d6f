export { reportWorkflow, progressQuery } from './report';
