import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { globalEnvSchema, notifyEnvSchema, reportEnvSchema, singleAppEnvSchema } from '../config/schema';

/**
 * Prints the configuration table (`--table`, for the README) or `.env.example` (`--env`) from
 * the zod schemas themselves, so documentation and validation cannot drift apart.
 */
export interface ConfigEntry {
  name: string;
  description: string;
  defaultValue: string;
}

function entries(shape: Record<string, z.ZodType>): ConfigEntry[] {
  return Object.entries(shape).map(([name, field]) => {
    const parsed = field.safeParse(undefined);
    const value: unknown = parsed.success ? parsed.data : undefined;
    const defaultValue = value === undefined ? '' : Array.isArray(value) ? value.join(',') : String(value);
    return { name, description: field.description ?? '', defaultValue };
  });
}

export function configEntries(): ConfigEntry[] {
  return [...entries(singleAppEnvSchema.shape), ...entries(reportEnvSchema.shape), ...entries(globalEnvSchema.shape), ...entries(notifyEnvSchema.shape)];
}

export function configTable(): string {
  const rows = configEntries().map((entry) => `| \`${entry.name}\` | ${entry.defaultValue === '' ? '—' : `\`${entry.defaultValue}\``} | ${entry.description} |`);
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

export function envExample(): string {
  const lines = ['# Difyscope settings. Copy to .env and fill in; every variable with its default.', ''];
  for (const entry of configEntries()) {
    lines.push(`# ${entry.description.replace(/`/g, '')}`);
    lines.push(entry.defaultValue === '' ? `# ${entry.name}=` : `${entry.name}=${entry.defaultValue}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** `--write` refreshes README.md's table and .env.example in place. */
function writeDocs(): void {
  const root = path.join(__dirname, '..');
  const readmePath = path.join(root, 'README.md');
  const readme = readFileSync(readmePath, 'utf8').replace(
    /(<!-- config-table:start -->\n)[\s\S]*?(\n<!-- config-table:end -->)/,
    (_match, start: string, end: string) => `${start}${configTable()}${end}`,
  );
  writeFileSync(readmePath, readme);
  writeFileSync(path.join(root, '.env.example'), `${envExample()}\n`);
}

if (require.main === module) {
  if (process.argv.includes('--write')) writeDocs();
  else process.stdout.write(`${process.argv.includes('--env') ? envExample() : configTable()}\n`);
}
