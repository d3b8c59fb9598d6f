import type { Completeness } from '../common/contracts';
import type { Locale, ReportFormat } from '../common/report-options';
import type { ReportWindow } from '../common/window';
import type { ReportFigures } from '../common/report-files';
import type { Redaction } from './redact';
import type { EarlierReport } from './trend';

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
  /** Error signatures of the previous period's report; null or absent: that report is unknown. */
  previousErrorSignatures?: ReadonlySet<string> | null;
  /** User keys (see user-history.ts) of earlier periods, for new vs returning; null: none known. */
  earlierUsers?: EarlierUsers | null;
  /** What to take out of every report (product §7); absent: nothing. */
  redaction?: Redaction;
  /** Earlier reports of the same kind (newest first or in any order), for the trend; absent or empty: none. */
  earlier?: readonly EarlierReport[] | null;
  /** The app is a chat app (chatflow, chatbot, agent): records are messages, sessions are conversations. */
  chatApp?: boolean;
}

export interface EarlierUsers {
  keys: ReadonlySet<string>;
  /** How many earlier reports the keys come from, so "new" can say what it is new against. */
  periods: number;
}

/** The headline figures, as report.json keeps them for the next periods. */
export type { ReportFigures };
