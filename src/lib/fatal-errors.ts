import type { Logger } from './logger';

/** Longest wait for the log line to reach its destination before exiting anyway. */
const FLUSH_TIMEOUT_MS = 2000;

type FatalKind = 'unhandledRejection' | 'uncaughtException';

/**
 * The process-level policy for an error nobody handled (a rejected promise without a catch, an exception
 * thrown from a callback or an event emitter): log it once, as one structured line with its kind and the
 * error (type, message, stack, cause: serializeError, never an error's other properties, which can hold
 * request headers), flush the log, and exit with code 1 so that the supervisor (Docker's restart policy,
 * Kubernetes, systemd) starts a fresh process. After such an error the process's state is unknown: a
 * half-dead process that keeps answering is worse than a restart. Later errors while exiting are not logged.
 */
export function exitOnUnhandledErrors(logger: Logger, target: NodeJS.Process = process): void {
  let exiting = false;
  const onFatal = (kind: FatalKind) => (error: unknown) => {
    if (exiting) return;
    exiting = true;
    target.exitCode = 1;
    const exit = () => target.exit(1);
    try {
      logger.fatal({ event: 'process.fatal', kind, err: error }, `${kind}: exiting so that the supervisor starts a fresh process`);
    } catch {
      // Even the logger failed: exit all the same.
    }
    const fallback = setTimeout(exit, FLUSH_TIMEOUT_MS);
    try {
      logger.flush(() => {
        clearTimeout(fallback);
        exit();
      });
    } catch {
      clearTimeout(fallback);
      exit();
    }
  };
  target.on('unhandledRejection', onFatal('unhandledRejection'));
  target.on('uncaughtException', onFatal('uncaughtException'));
}
