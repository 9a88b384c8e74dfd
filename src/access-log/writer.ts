import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import { RepeatLimiter } from '../lib/repeat-limited-log';
import type { Scheduler, TimerHandle } from '../lib/scheduler';
import type { AccessEntry } from './entry';

/** Where batches go (AccessLogStore; a fake in tests). */
export interface AccessLogSink {
  insert(entries: readonly AccessEntry[]): Promise<void>;
  deleteOlderThan(before: number): Promise<number>;
}

export interface AccessLogWriterOptions {
  sink: AccessLogSink;
  clock: Clock;
  scheduler: Scheduler;
  logger: Logger;
  /** Metrics go to the app's registry (GET /metrics). */
  registry?: Registry;
  /** A batch is written once this many entries wait... */
  batchSize: number;
  /** ...or this long after the first of them came. */
  flushIntervalMs: number;
  /** At most this many entries wait in memory; beyond it new ones are dropped and counted. */
  bufferLimit: number;
  /** Entries older than this are deleted. */
  retentionMs: number;
  /** How often old entries are deleted (default hourly). */
  pruneIntervalMs?: number;
}

/**
 * The access log's writer, off the proxy's hot path: record() only pushes onto an array; batches are
 * written by a timer or when a batch is full, one write at a time, to the database.
 *
 * When the database is down or slow, the proxy is never held up and never fails: entries wait in memory up
 * to `bufferLimit`, and past it new ones are dropped; a batch whose write fails is dropped too. Every dropped
 * entry is counted (`access_log_entries_dropped_total{reason}`) and logged once a minute at most, so the gap
 * in the log is visible and alertable. Entries are not retried: a database that is down for a while would
 * otherwise hold the memory of the buffer limit for as long, and the failure is on the record either way.
 */
export class AccessLogWriter {
  private buffer: AccessEntry[] = [];
  private flushTimer: TimerHandle | undefined;
  private pruneTimer: TimerHandle | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;
  private readonly repeats: RepeatLimiter;
  private readonly written: Counter;
  private readonly dropped: Counter<'reason'>;
  /** Dropped and written counts, for tests and the admin page (the metrics say the same). */
  readonly counts = { written: 0, droppedBufferFull: 0, droppedWriteFailed: 0 };

  constructor(private readonly options: AccessLogWriterOptions) {
    this.repeats = new RepeatLimiter(options.clock);
    const registers = options.registry ? [options.registry] : [];
    this.written = new Counter({ name: 'access_log_entries_written_total', help: 'Access log entries written to the database.', registers });
    this.dropped = new Counter({
      name: 'access_log_entries_dropped_total',
      help: 'Access log entries dropped: buffer-full (the database kept up too slowly) or write-failed.',
      labelNames: ['reason'] as const,
      registers,
    });
    const buffer = () => this.buffer.length;
    new Gauge({ name: 'access_log_entries_buffered', help: 'Access log entries waiting in memory to be written.', registers, collect() { this.set(buffer()); } });
  }

  /** Hot path: never waits, never throws. */
  record(entry: AccessEntry): void {
    if (this.buffer.length >= this.options.bufferLimit || this.closed) {
      this.counts.droppedBufferFull += 1;
      this.dropped.inc({ reason: 'buffer-full' });
      this.warn('access-log.buffer-full', 'access log buffer full: entries dropped (is the database slow or down?)');
      return;
    }
    this.buffer.push(entry);
    if (this.buffer.length >= this.options.batchSize) this.startWrite();
    else this.flushTimer ??= this.options.scheduler.setTimeout(() => this.onTimer(), this.options.flushIntervalMs);
  }

  /** Starts the periodic pruning (retention). */
  start(): void {
    this.schedulePrune();
  }

  /** Writes everything buffered now (and waits for a write in flight). */
  async flush(): Promise<void> {
    while (this.writing || this.buffer.length > 0) {
      if (!this.writing) this.startWrite();
      await this.writing;
    }
  }

  /**
   * Graceful shutdown: no more timers, everything buffered is written, waiting at most `graceMs` (a stalled
   * database must not hold the process). Later records are dropped (counted).
   */
  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    this.cancelTimers();
    let timer: TimerHandle | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = this.options.scheduler.setTimeout(resolve, graceMs);
    });
    await Promise.race([this.flush(), gaveUp]);
    this.options.scheduler.clearTimeout(timer!);
  }

  /** Deletes entries past the retention period; returns how many went. */
  async prune(): Promise<number> {
    const removed = await this.options.sink.deleteOlderThan(this.options.clock.now() - this.options.retentionMs);
    if (removed > 0) this.options.logger.info({ event: 'access-log.pruned', removed }, 'old access log entries deleted');
    return removed;
  }

  private onTimer(): void {
    this.flushTimer = undefined;
    this.startWrite();
  }

  /** One write at a time; the next batch starts when this one ends, if there is one. */
  private startWrite(): void {
    if (this.writing || this.buffer.length === 0) return;
    if (this.flushTimer) {
      this.options.scheduler.clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    const batch = this.buffer.splice(0, this.options.batchSize);
    this.writing = this.options.sink.insert(batch).then(
      () => {
        this.counts.written += batch.length;
        this.written.inc(batch.length);
      },
      (error: unknown) => {
        this.counts.droppedWriteFailed += batch.length;
        this.dropped.inc({ reason: 'write-failed' }, batch.length);
        this.warn('access-log.write-failed', 'access log batch could not be written: entries dropped', error);
      },
    ).finally(() => {
      this.writing = undefined;
      if (this.buffer.length >= this.options.batchSize) this.startWrite();
      else if (this.buffer.length > 0 && !this.closed) this.flushTimer ??= this.options.scheduler.setTimeout(() => this.onTimer(), this.options.flushIntervalMs);
    });
  }

  private schedulePrune(): void {
    if (this.closed) return;
    this.pruneTimer = this.options.scheduler.setTimeout(() => {
      this.prune()
        .catch((error: unknown) => this.warn('access-log.prune-failed', 'pruning the access log failed; next try at the next interval', error))
        .finally(() => this.schedulePrune());
    }, this.options.pruneIntervalMs ?? 60 * 60_000);
  }

  private cancelTimers(): void {
    if (this.flushTimer) this.options.scheduler.clearTimeout(this.flushTimer);
    if (this.pruneTimer) this.options.scheduler.clearTimeout(this.pruneTimer);
    this.flushTimer = undefined;
    this.pruneTimer = undefined;
  }

  private warn(kind: string, message: string, error?: unknown): void {
    const decision = this.repeats.shouldLog(kind);
    if (decision.log) this.options.logger.warn({ event: kind, err: error, similarSinceLastLine: decision.suppressed, counts: this.counts }, message);
  }
}
