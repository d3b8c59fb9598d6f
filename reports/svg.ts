import { escapeHtml } from './escape';

/**
 * Inline SVG charts for report.html: no scripts, no fonts, no external assets. Each chart sits
 * above a table with the same numbers, so a mail client that drops SVG loses nothing.
 */

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
const BAR_COLOUR = '#4f7cac';

function svgOpen(title: string, width: number, height: number): string {
  // width/height attributes as well as viewBox: clients without CSS still size it, and
  // max-width lets it shrink on a phone.
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" style="max-width:100%;height:auto" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>`;
}

export function barChart(title: string, bars: readonly Bar[], unit = ''): string {
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const max = Math.max(0, ...bars.map((bar) => bar.value));
  const slot = bars.length > 0 ? (WIDTH - 2 * LEFT) / bars.length : 0;
  // Capped so three days do not draw three slabs across the page.
  const barWidth = Math.min(48, Math.max(1, slot * 0.7));
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
    // Zero values get no label: a row of "0"s on an empty day hides the bars that matter.
    const valueLabel = bars.length <= 31 && bar.value > 0 ? `<text x="${centre}" y="${(y - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#333">${escapeHtml(value)}</text>` : '';
    return [
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${height.toFixed(1)}" fill="${BAR_COLOUR}"><title>${escapeHtml(`${bar.label}: ${value}`)}</title></rect>`,
      valueLabel,
      label,
    ].join('');
  });
  return [
    svgOpen(title, WIDTH, HEIGHT),
    `<line x1="${LEFT}" y1="${TOP + plotHeight}" x2="${WIDTH - LEFT}" y2="${TOP + plotHeight}" stroke="#999"/>`,
    ...parts,
    '</svg>',
  ].join('');
}

const CELL_W = 24;
const CELL_H = 20;
const ROW_LABEL = 56;
const HEAD = 18;

/** Light to dark blue by share of the busiest cell; empty cells stay near-white so gaps read as gaps. */
function shade(value: number, max: number): string {
  if (value === 0 || max === 0) return '#f4f6f9';
  const t = value / max;
  const mix = (from: number, to: number) => Math.round(from + (to - from) * t);
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return `#${hex(mix(0xd6, 0x1f))}${hex(mix(0xe4, 0x4e))}${hex(mix(0xf0, 0x8c))}`;
}

/** Rows × 24 hours, one shaded square per cell with its count. */
export function heatMap(title: string, rows: readonly { label: string; values: readonly number[] }[]): string {
  const width = ROW_LABEL + 24 * CELL_W + 4;
  const height = HEAD + rows.length * CELL_H + 4;
  const max = Math.max(0, ...rows.flatMap((row) => row.values));
  const parts: string[] = [svgOpen(title, width, height)];
  for (let hour = 0; hour < 24; hour += 3) {
    parts.push(`<text x="${ROW_LABEL + hour * CELL_W + CELL_W / 2}" y="12" text-anchor="middle" font-size="10" fill="#555">${String(hour).padStart(2, '0')}</text>`);
  }
  rows.forEach((row, at) => {
    const y = HEAD + at * CELL_H;
    parts.push(`<text x="${ROW_LABEL - 6}" y="${y + CELL_H / 2 + 4}" text-anchor="end" font-size="11" fill="#333">${escapeHtml(row.label)}</text>`);
    row.values.forEach((value, hour) => {
      const x = ROW_LABEL + hour * CELL_W;
      const dark = max > 0 && value / max > 0.55;
      parts.push(
        `<rect x="${x + 1}" y="${y + 1}" width="${CELL_W - 2}" height="${CELL_H - 2}" fill="${shade(value, max)}"><title>${escapeHtml(`${row.label} ${String(hour).padStart(2, '0')}:00: ${value}`)}</title></rect>`,
        value > 0 ? `<text x="${x + CELL_W / 2}" y="${y + CELL_H / 2 + 4}" text-anchor="middle" font-size="10" fill="${dark ? '#fff' : '#222'}">${value}</text>` : '',
      );
    });
  });
  parts.push('</svg>');
  return parts.join('');
}
