// Log lines with levels. Quiet by default: only warnings and errors (auth failures, limits
// hit) unless -v (info: connects, disconnects, latency) or --log-level debug (everything).

export const LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type Level = (typeof LEVELS)[number];

export interface Logger {
  level: Level;
  enabled(level: Level): boolean;
  log(level: Level, line: string): void;
}

/**
 * A logger writing `2024-01-01T00:00:00.000Z level line` to `out` (stderr by default), or
 * handing level and line to `sink` (an application's log hook) instead.
 */
export function createLogger(
  level: Level,
  out: ((line: string) => void) | null = (l) => process.stderr.write(l + '\n'),
  sink: ((level: Level, line: string) => void) | null = null,
): Logger {
  const logger: Logger = {
    level,
    enabled(l: Level): boolean {
      return LEVELS.indexOf(l) <= LEVELS.indexOf(logger.level);
    },
    log(l: Level, line: string): void {
      if (!logger.enabled(l)) return;
      if (sink !== null) sink(l, line);
      else if (out !== null) out(`${new Date().toISOString()} ${l} ${line}`);
    },
  };
  return logger;
}

/**
 * The core's log lines carry no level: classify them by what they say. Limits hit and
 * refusals are warnings; connects and closes are info; the rest is debug.
 */
export function levelOfCoreLine(line: string): Level {
  if (/internal error/.test(line)) return 'error';   // a fault caught in the core or the port (issue 13)
  if (/not authorized|refused: CONNACK|queue full|backlog full|backlog drained|store full|held:|too large|over a limit/i.test(line)) return 'warn';
  if (/connected \(MQTT|disconnected|connection lost|closing:|taken over|no CONNECT within/.test(line)) return 'info';
  return 'debug';
}
