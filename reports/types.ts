import type { Completeness } from '../common/contracts';
import type { Locale, ReportFormat } from '../config/schema';
import type { ReportWindow } from '../workflows/window';

/** What the caller knows that the runs do not: the app, the window, the settings, the gaps. */
export interface ReportContext {
  appKey: string;
  appName: string;
  /** The REQUESTED window [from, to): sheets show it even where the data start later or end earlier. */
  window: ReportWindow;
  /** Passed in rather than read from the clock, so the same inputs render the same bytes. */
  generatedAt: string;
  locale: Locale;
  formats: ReportFormat[];
  /** Run inputs holding the question, first present wins (e.g. `query`, `sys.query`). */
  questionFields: string[];
  /** Run outputs holding the answer, first present wins (e.g. `text`, `answer`, `result`). */
  answerFields: string[];
  answerMaxLength: number;
  completeness: Completeness;
  /** The previous period's figures, for the change columns. */
  previous?: ReportFigures | null;
}

/** The headline figures: what notifications quote and the next period compares against. */
export interface ReportFigures {
  runs: number;
  succeeded: number;
  failed: number;
  users: number;
  sessions: number;
  totalTokens: number;
  cost: Record<string, number>;
  p50ElapsedSeconds: number | null;
  p95ElapsedSeconds: number | null;
  tokenSpeed: number | null;
}

export interface RenderedReport {
  files: { name: string; content: string }[];
  figures: ReportFigures;
}
