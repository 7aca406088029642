/**
 * The log port. Handlers log ids and counts only: never addresses, signal contents or URLs.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export type LogFields = Record<string, string | number | boolean | string[] | undefined>;

export interface Log {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Powertools logger (JSON to CloudWatch), built once per container. */
export function powertoolsLog(): Log {
  const logger = new Logger();
  return {
    info: (m, f) => logger.info(m, { ...f }),
    warn: (m, f) => logger.warn(m, { ...f }),
    error: (m, f) => logger.error(m, { ...f }),
  };
}

/** A log that keeps its lines in memory (local runs and tests can show or inspect them). */
export function memoryLog(): Log & { lines: { level: string; message: string; fields?: LogFields }[] } {
  const lines: { level: string; message: string; fields?: LogFields }[] = [];
  const add = (level: string) => (message: string, fields?: LogFields) => {
    lines.push(fields ? { level, message, fields } : { level, message });
  };
  return { lines, info: add('info'), warn: add('warn'), error: add('error') };
}
