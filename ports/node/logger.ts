// Log lines with levels. Quiet by default: only warnings and errors (auth failures, limits
// hit) unless -v (info: connects, disconnects, latency) or -v -v / --log-level debug (also a
// line per packet in and out). Text or JSON lines, to stderr or a file reopened on SIGHUP.
import { closeSync, openSync, writeSync } from 'node:fs';
import { LOG_CLOSED, LOG_CONNECTED, LOG_DENIED, LOG_FAULT, LOG_LIMIT, LOG_REFUSED } from '../../core/index.js';

export const LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type Level = (typeof LEVELS)[number];

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface Logger {
  level: Level;
  enabled(level: Level): boolean;
  log(level: Level, line: string): void;
}

/** One log line as text (`time level message`) or as a JSON object ({"time", "level", "msg"}). */
export function formatLine(format: LogFormat, time: Date, level: Level, line: string): string {
  if (format === 'json') return JSON.stringify({ time: time.toISOString(), level, msg: line });
  return `${time.toISOString()} ${level} ${line}`;
}

/**
 * A log file, appended to with one synchronous write per line (lines stay whole and in
 * order), and reopened by name on SIGHUP: after logrotate has moved it, the next line goes
 * to a new file of the old name.
 */
export class LogFile {
  private fd: number;

  constructor(readonly path: string) {
    this.fd = LogFile.open(path);
  }

  private static open(path: string): number {
    try {
      return openSync(path, 'a', 0o640);
    } catch (e) {
      throw new Error(`cannot open the log file ${path}: ${(e as Error).message}`);
    }
  }

  write(line: string): void {
    if (this.fd >= 0) writeSync(this.fd, line + '\n');
  }

  /** Opens the file again by name; keeps writing to the old one when it cannot (and throws). */
  reopen(): void {
    const fd = LogFile.open(this.path);
    closeSync(this.fd);
    this.fd = fd;
  }

  /** Closed: later lines are dropped. */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * A logger writing `2024-01-01T00:00:00.000Z level line` to `out` (stderr by default), or
 * handing level and line to `sink` (an application's log hook) instead.
 */
export function createLogger(
  level: Level,
  out: ((line: string) => void) | null = (l) => process.stderr.write(l + '\n'),
  sink: ((level: Level, line: string) => void) | null = null,
  format: LogFormat = 'text',
): Logger {
  const logger: Logger = {
    level,
    enabled(l: Level): boolean {
      return LEVELS.indexOf(l) <= LEVELS.indexOf(logger.level);
    },
    log(l: Level, line: string): void {
      if (!logger.enabled(l)) return;
      if (sink !== null) sink(l, line);
      else if (out !== null) out(formatLine(format, new Date(), l, line));
    },
  };
  return logger;
}

/**
 * The level of a core log line, from the event the core gives with it (core/broker/
 * log-events.ts), never from its text: faults are errors; limits, denials and refused
 * CONNECTs warn; connects and closes are info; the rest is debug.
 */
export function levelOfEvent(event: number): Level {
  if (event === LOG_FAULT) return 'error';
  if (event === LOG_LIMIT || event === LOG_DENIED || event === LOG_REFUSED) return 'warn';
  if (event === LOG_CONNECTED || event === LOG_CLOSED) return 'info';
  return 'debug';
}
