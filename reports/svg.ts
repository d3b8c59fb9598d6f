import { escapeHtml } from './escape';

/** Inline SVG bar charts for report.html: no scripts, no fonts, no external assets, so mail clients show them. */

export interface Bar {
  label: string;
  value: number;
}

const WIDTH = 640;
const HEIGHT = 220;
const TOP = 24;
const BOTTOM = 36;
const LEFT = 8;
const MAX_X_LABELS = 14;

export function barChart(title: string, bars: readonly Bar[], unit = ''): string {
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const max = Math.max(0, ...bars.map((bar) => bar.value));
  const slot = bars.length > 0 ? (WIDTH - 2 * LEFT) / bars.length : 0;
  const barWidth = Math.max(1, slot * 0.7);
  // Thin out axis labels on long windows so they never overlap; the value labels stay.
  const labelEvery = Math.max(1, Math.ceil(bars.length / MAX_X_LABELS));
  const parts = bars.map((bar, index) => {
    const height = max > 0 ? (bar.value / max) * plotHeight : 0;
    const x = LEFT + index * slot + (slot - barWidth) / 2;
    const y = TOP + plotHeight - height;
    const centre = (x + barWidth / 2).toFixed(1);
    const value = `${bar.value}${unit}`;
    const label =
      index % labelEvery === 0
        ? `<text x="${centre}" y="${HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="10" fill="#555">${escapeHtml(bar.label)}</text>`
        : '';
    return [
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${height.toFixed(1)}" fill="#4f7cac"><title>${escapeHtml(`${bar.label}: ${value}`)}</title></rect>`,
      bars.length <= 31 ? `<text x="${centre}" y="${(y - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#333">${escapeHtml(value)}</text>` : '',
      label,
    ].join('');
  });
  return [
    `<svg width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(title)}">`,
    `<title>${escapeHtml(title)}</title>`,
    `<line x1="${LEFT}" y1="${TOP + plotHeight}" x2="${WIDTH - LEFT}" y2="${TOP + plotHeight}" stroke="#999"/>`,
    ...parts,
    '</svg>',
  ].join('');
}
