import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/**
 * Every place a secret could sit in a log line. Redaction is configured here, once, and tested
 * (test/unit/logger.test.ts): headers that carry credentials, and any field named like a secret at the top
 * level or one level down.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  ...['password', 'secret', 'apiSecret', 'clientSecret', 'client_secret', 'accessToken', 'access_token', 'token', 'csrfToken', 'sessionSecret', 'cookie'].flatMap(
    (name) => [name, `*.${name}`],
  ),
];

export interface LoggerOptions {
  level: string;
  /** Where lines go (tests capture them); defaults to stdout. */
  destination?: DestinationStream;
}

/** The app's structured logger: JSON lines, secrets censored. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
