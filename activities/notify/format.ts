import { costText } from '../../reports/numbers';

/**
 * Number formats of notifications. Fixed to en-US grouping rather than the machine's locale,
 * so the subject of a resent message is byte-identical to the first one.
 */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 });

export const formatInteger = (value: number): string => integer.format(value);
export const formatNumber = (value: number): string => decimal.format(value);

/** `2.1%`: one decimal is enough to tell 2% from 3% in a subject line. */
export function formatPercent(part: number, whole: number): string {
  return `${Number(((part / whole) * 100).toFixed(1))}%`;
}

export function formatSeconds(value: number | null): string {
  return value === null ? 'n/a' : `${formatNumber(value)} s`;
}

export function formatCost(cost: Readonly<Record<string, number>>): string {
  return Object.keys(cost).length === 0 ? 'n/a' : costText(cost);
}

export function signed(value: number, format: (value: number) => string = formatNumber): string {
  return value > 0 ? `+${format(value)}` : format(value);
}

/** Collapses whitespace and cuts at `max` characters: errors and signatures become one readable line. */
export function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** Inline code in chat markdown; a backtick inside would end the span early. */
export function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}
