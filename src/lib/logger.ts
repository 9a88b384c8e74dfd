import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/**
 * Field names whose values never reach a log line, wherever they sit in the first levels of a log object
 * (`password`, `req.headers.authorization`, `config.apiSecret`, …). Compared case-insensitively.
 */
export const SECRET_FIELD_NAMES = [
  'authorization',
  'cookie',
  'set-cookie',
  'x-csrf-token',
  'password',
  'secret',
  'apisecret',
  'clientsecret',
  'client_secret',
  'accesstoken',
  'access_token',
  'token',
  'csrftoken',
  'sessionsecret',
] as const;

const SECRET_FIELDS: ReadonlySet<string> = new Set(SECRET_FIELD_NAMES);
const CENSOR = '[redacted]';
/** req.headers.authorization is three levels down; nothing the app logs nests secrets deeper. */
const MAX_DEPTH = 3;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of `object` with every secret field censored; objects without secrets are returned as they are
 * (no copy), which is what the hot path's request lines are. Replaces pino's path-based `redact`, whose
 * wildcard paths were re-evaluated for every field of every line (about 15 µs and 40 kB per request line
 * in `npm run bench`).
 */
export function redactSecrets(object: Record<string, unknown>, depth = 1): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key in object) {
    const value = object[key];
    let replacement: unknown = value;
    if (SECRET_FIELDS.has(key.toLowerCase())) {
      if (value !== undefined) replacement = CENSOR;
    } else if (depth < MAX_DEPTH && isPlainObject(value)) {
      replacement = redactSecrets(value, depth + 1);
    }
    if (replacement !== value) {
      copy ??= { ...object };
      copy[key] = replacement;
    }
  }
  return copy ?? object;
}

/**
 * Errors as log lines: type, message, code and stack, and the same for their cause, nothing else. Error
 * objects carry whatever their library put on them (an axios error holds the request's config, headers and
 * all: the API secret in a Basic header, a Bearer token), so their properties are never copied wholesale.
 */
export function serializeError(error: unknown, depth = 0): Record<string, unknown> | undefined {
  if (!(error instanceof Error)) return error === undefined ? undefined : { type: typeof error, message: String(error) };
  const code = (error as { code?: unknown }).code;
  const status = (error as { status?: unknown }).status;
  const logDetail = (error as { logDetail?: unknown }).logDetail;
  return {
    type: error.name,
    message: error.message,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(typeof status === 'number' ? { status } : {}),
    ...(typeof logDetail === 'string' ? { logDetail } : {}),
    stack: error.stack,
    ...(error.cause !== undefined && depth < 3 ? { cause: serializeError(error.cause, depth + 1) } : {}),
  };
}

export interface LoggerOptions {
  level: string;
  /** Where lines go (tests capture them); defaults to stdout. */
  destination?: DestinationStream;
}

/** The app's structured logger: JSON lines, secrets censored (tested in test/unit/logger.test.ts). */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactSecrets(object),
      },
      serializers: { err: serializeError, error: serializeError },
    },
    options.destination ?? asyncLogDestination(1),
  );
}

/** A log destination that can be flushed at exit (what asyncLogDestination returns). */
export interface FlushableDestination extends DestinationStream {
  flush(callback?: (error?: Error) => void): void;
  flushSync(): void;
}

/**
 * The app's log destination: lines written asynchronously to `dest` (a file descriptor or path) by
 * SonicBoom, as `pino.destination({ sync: false })` does, but handed over once per turn of the event loop.
 *
 * While one write is in flight SonicBoom appends every new line to its pending buffer and, for each line,
 * measures that whole buffer's byte length again (`Buffer.byteLength`, which also flattens the string).
 * Under load a turn of the event loop ends up to a hundred requests, so each of their lines paid for all
 * the lines before it (the byte count showed among the top costs of a proxied call in a `perf` profile).
 * Joined first, the turn's lines are one write to SonicBoom. Nothing is held longer than that turn, and
 * `flush`/`flushSync` (logger.flush, the fatal-error handler, process exit) hand over what waits first.
 */
export function asyncLogDestination(dest: number | string): FlushableDestination {
  const sonic = pino.destination({ dest, sync: false });
  let pending = '';
  let scheduled = false;
  const handOver = () => {
    scheduled = false;
    if (pending === '') return;
    const lines = pending;
    pending = '';
    sonic.write(lines);
  };
  const destination: FlushableDestination = {
    write(line: string) {
      pending += line;
      if (!scheduled) {
        scheduled = true;
        setImmediate(handOver);
      }
    },
    flush(callback) {
      handOver();
      sonic.flush(callback);
    },
    flushSync() {
      handOver();
      sonic.flushSync();
    },
  };
  // At exit there is no next turn: what waits goes out synchronously (after SonicBoom's own exit flush,
  // which pino registered first). A destination already closed has nothing more to say.
  process.once('exit', () => {
    try {
      destination.flushSync();
    } catch {
      // Destroyed, or the descriptor is gone: the process is ending either way.
    }
  });
  return destination;
}
