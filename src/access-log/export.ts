import type { Response } from 'express';
import type { StoredAccessEntry } from './entry';

export type ExportFormat = 'csv' | 'jsonl';

const COLUMNS = ['time', 'username', 'userId', 'subscriptionId', 'method', 'path', 'status', 'requestId', 'durationMs'] as const;

function row(entry: StoredAccessEntry): Array<string | number | null> {
  return [new Date(entry.at).toISOString(), entry.username, entry.userId, entry.subscriptionId, entry.method, entry.path, entry.status, entry.requestId, entry.durationMs];
}

/**
 * One CSV cell (RFC 4180), safe to open in a spreadsheet: a cell starting with = + - @ (or a tab or carriage
 * return) would be taken as a formula (OWASP "CSV Injection"), so it gets a leading apostrophe; cells with a
 * comma, quote or line break are quoted, quotes doubled. Paths and usernames come from users: never trusted.
 */
export function csvCell(value: string | number | null): string {
  let text = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV export's first line (column names). */
export function csvHeader(): string {
  return `${COLUMNS.join(',')}\r\n`;
}

/** One entry as a CSV line, every cell made safe by csvCell(). */
export function csvLine(entry: StoredAccessEntry): string {
  return `${row(entry).map(csvCell).join(',')}\r\n`;
}

/** One JSON object a line (JSON Lines); JSON.stringify escapes whatever a path holds. */
export function jsonLine(entry: StoredAccessEntry): string {
  const values = row(entry);
  return `${JSON.stringify(Object.fromEntries(COLUMNS.map((name, i) => [name, values[i]])))}\n`;
}

/**
 * Streams chunks of entries to the browser as CSV or JSON Lines, waiting for the socket to drain between
 * chunks (bounded memory for any size) and stopping when the browser goes away.
 */
export async function streamExport(res: Response, format: ExportFormat, chunks: AsyncIterable<StoredAccessEntry[]>, fileName: string): Promise<void> {
  res.status(200);
  res.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${fileName}.${format === 'csv' ? 'csv' : 'jsonl'}"`);
  if (format === 'csv') res.write(csvHeader());
  for await (const entries of chunks) {
    if (res.destroyed) return;
    const text = entries.map(format === 'csv' ? csvLine : jsonLine).join('');
    if (!res.write(text)) await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
  res.end();
}
