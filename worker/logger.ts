import { Runtime, type Logger, type LogLevel, type LogMetadata } from '@temporalio/worker';
import { redactSecrets, type Settings } from '../config/load';

const ORDER: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

export interface LoggerOptions {
  level: LogLevel;
  /** JSON lines for log collectors (journald, Docker); a short readable line on a terminal. */
  format: 'json' | 'pretty';
  secrets: readonly string[];
  write?: (line: string) => void;
}

function serialise(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

/**
 * The one logger of the worker: activities (`log` from @temporalio/activity), workflows and the
 * SDK's own runtime all end up here. Every line is scrubbed of configured secret values.
 */
export class DifyscopeLogger implements Logger {
  private readonly write: (line: string) => void;

  constructor(private readonly options: LoggerOptions) {
    this.write = options.write ?? ((line) => process.stderr.write(`${line}\n`));
  }

  log(level: LogLevel, message: string, meta: LogMetadata = {}): void {
    if (ORDER[level] < ORDER[this.options.level]) return;
    const fields = Object.fromEntries(Object.entries(meta).map(([key, value]) => [key, serialise(value)]));
    let line: string;
    if (this.options.format === 'json') {
      line = JSON.stringify({ time: new Date().toISOString(), level: level.toLowerCase(), msg: message, ...fields });
    } else {
      const context = Object.entries(fields)
        .filter(([key]) => !['sdkComponent', 'namespace', 'taskQueue', 'workflowType', 'runId', 'activityId', 'attempt', 'isLocal'].includes(key))
        .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
        .join(' ');
      line = `${new Date().toISOString().slice(11, 19)} ${level.padEnd(5)} ${message}${context ? `  ${context}` : ''}`;
    }
    this.write(redactSecrets(line, this.options.secrets));
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/**
 * Installs the logger as the Temporal runtime's, forwarding the native core's warnings too.
 * LOG_FORMAT=auto writes readable lines on a terminal and JSON elsewhere.
 */
export function installLogger(settings: Settings, options: { minimumSdkLevel?: LogLevel; sdkMetricsPort?: number } = {}): DifyscopeLogger {
  const format = settings.logFormat === 'auto' ? (process.stderr.isTTY ? 'pretty' : 'json') : settings.logFormat;
  const configured = settings.logLevel.toUpperCase() as LogLevel;
  const level = options.minimumSdkLevel && ORDER[options.minimumSdkLevel] > ORDER[configured] ? options.minimumSdkLevel : configured;
  const logger = new DifyscopeLogger({ level, format, secrets: settings.secrets });
  Runtime.install({
    logger,
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      // The SDK's runtime metrics on loopback; worker/metrics-server.ts serves them with ours.
      ...(options.sdkMetricsPort ? { metrics: { prometheus: { bindAddress: `127.0.0.1:${options.sdkMetricsPort}`, countersTotalSuffix: true, useSecondsForDurations: true } } } : {}),
    },
  });
  return logger;
}
