import { ConfigError, formatIssues, loadSettings } from '../config/load';
import { globalEnvSchema, notifyEnvSchema, reportEnvSchema, singleAppEnvSchema } from '../config/schema';
import { TemporalSettingError } from '../config/temporal';
import { dataConverterFor } from '../worker/data-converter';
import { splitHostPort } from '../worker/metrics-server';

/**
 * Every configuration problem the worker would stop on, found in one pass: each group of
 * settings is validated on its own (loadSettings stops at the first failing group), then the
 * checks the worker makes at start beyond the schemas: the encryption key and the metrics
 * address. One line per problem, each naming the setting.
 */
export function configurationProblems(source: NodeJS.ProcessEnv): string[] {
  const lines = new Set<string>();
  const add = (text: string): void => {
    for (const line of text.split('\n')) if (line.trim() !== '') lines.add(line);
  };
  const singleApp = !source.DIFYSCOPE_CONFIG?.trim();
  for (const schema of [globalEnvSchema, reportEnvSchema, notifyEnvSchema, ...(singleApp ? [singleAppEnvSchema] : [])]) {
    const parsed = schema.safeParse(source);
    if (!parsed.success) add(formatIssues(parsed.error));
  }
  try {
    loadSettings(source);
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof TemporalSettingError)) throw error;
    add(error.message);
  }
  const key = source.DIFYSCOPE_ENCRYPTION_KEY?.trim();
  if (key) {
    try {
      dataConverterFor({ encryptionKey: key });
    } catch (error) {
      add(error instanceof Error ? error.message : String(error));
    }
  }
  const metrics = source.METRICS_ADDRESS?.trim();
  if (metrics) {
    try {
      splitHostPort(metrics, 'METRICS_ADDRESS');
    } catch (error) {
      add(error instanceof Error ? error.message : String(error));
    }
  }
  return [...lines];
}
