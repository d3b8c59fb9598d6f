/**
 * Error signatures: the same failure with a different run id, token count or quoted input
 * must count as one problem, so the variable parts are masked before grouping.
 */
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
// Quotes only count at word edges, so the apostrophe of "don't" never opens a quoted value.
const QUOTED = /(?<!\w)(?:"[^"\n]*"|'[^'\n]*'|`[^`\n]*`|“[^”\n]*”)(?!\w)/g;
const LONG_HEX = /\b[0-9a-f]{16,}\b/gi;
const NUMBER = /\b\d+(?:\.\d+)?\b/g;
const MAX_SIGNATURE = 300;

export function errorSignature(message: string): string {
  const masked = message
    .replace(UUID, '<id>')
    .replace(QUOTED, '<value>')
    .replace(LONG_HEX, '<id>')
    .replace(NUMBER, '<n>')
    .replace(/\s+/g, ' ')
    .trim();
  return masked.length > MAX_SIGNATURE ? `${masked.slice(0, MAX_SIGNATURE)}…` : masked;
}
