import type { Aggregates } from '../aggregate';
import type { ChatDay } from '../chat-aggregate';
import { project, type Sheet } from '../csv';
import { sheetLayouts, type DailyKey } from '../locale';
import { cell, costCells } from '../numbers';
import type { ReportContext } from '../types';

type ChatDailyKey = 'conversations' | 'satisfaction' | 'likes' | 'dislikes' | 'admin_likes' | 'admin_dislikes';
const CHAT_COLUMNS = (['conversations', 'satisfaction', 'likes', 'dislikes', 'admin_likes', 'admin_dislikes'] as const).map((key) => [key, key] as const);

function chatCells(day: ChatDay | undefined): Record<ChatDailyKey, string> {
  return {
    conversations: String(day?.conversations ?? 0),
    satisfaction: cell(day?.ratings.satisfaction ?? null),
    likes: String(day?.ratings.likes ?? 0),
    dislikes: String(day?.ratings.dislikes ?? 0),
    admin_likes: String(day?.ratings.adminLikes ?? 0),
    admin_dislikes: String(day?.ratings.adminDislikes ?? 0),
  };
}

/**
 * One row per local day of the window, days without runs included (zeros, not gaps), so
 * charts drawn from the sheet have an honest time axis. Cost lists every currency of the
 * window in the same order on every row, so a column means the same currency all the way down.
 */
export function dailySheet(aggregates: Aggregates, ctx: ReportContext): Sheet {
  const layout = sheetLayouts(ctx.locale).daily;
  const chat = aggregates.chat;
  // Chat apps add their columns at the end of the English sheet; the zh-CN sheet keeps the seed's two.
  const columns = chat !== null && ctx.locale !== 'zh-CN' ? [...layout.columns, ...CHAT_COLUMNS] : layout.columns;
  const rows = aggregates.days.map((day, at): Record<DailyKey | ChatDailyKey, string> => ({
    ...chatCells(chat?.days[at]),
    date: day.date,
    runs: String(day.runs),
    succeeded: String(day.succeeded),
    failed: String(day.failed),
    users: String(day.users),
    tokens: String(day.tokens),
    ...costCells(day.cost, aggregates.currencies),
    p50_elapsed_s: cell(day.p50ElapsedSeconds),
    p95_elapsed_s: cell(day.p95ElapsedSeconds),
  }));
  return { name: layout.file, rows: project(columns, rows) };
}
