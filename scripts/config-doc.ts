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

if (require.main === module) {
  process.stdout.write(`${process.argv.includes('--env') ? envExample() : configTable()}\n`);
}
