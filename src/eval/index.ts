/** Evaluation metrics and run reports (report.json, report.md, report.html). */
export { machineInfo } from './machine.js';
export {
  batchAccuracy,
  meanCrossEntropy,
  meanPredictionEntropy,
  TaskMetrics,
  type TaskMetricsResult,
} from './metrics.js';
export { checkRunReport } from './report-check.js';
export { renderHtml } from './report-html.js';
export { methodReportJson, runReportFromJson, runReportJson } from './report-json.js';
export {
  accuracyTableMarkdown,
  generalizationTableMarkdown,
  renderMarkdown,
  robustnessTableMarkdown,
} from './report-markdown.js';
export type {
  ChangedHyperparameter,
  GeneralizationExperiment,
  GeneralizationResult,
  LossPoint,
  MachineInfo,
  MethodResult,
  ModelInfo,
  RobustnessCondition,
  RobustnessExperiment,
  RoutingSummary,
  RunReport,
  RunSettings,
  TaskScore,
  Timing,
  TtaSummary,
} from './report-types.js';
export { averageScore, RoutingStats } from './summaries.js';
export { type ReportPaths, readReport, writeReports } from './write-reports.js';
