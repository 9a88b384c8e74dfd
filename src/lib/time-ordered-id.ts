import { randomUUID } from 'node:crypto';

/**
 * A UUID version 7 (RFC 9562 §5.7) for `ms`: the Unix time in milliseconds in its first 48 bits, random
 * bits after. Rows keyed by it are inserted at the end of their primary-key index rather than at a random
 * place in it: for the access log, whose every proxied call is a row, that halves SQLite's cost of an
 * insert (measured with a throw-away benchmark: 17 → 6 µs per row at 60,000 rows, WAL, four indexes).
 *
 * Built from a v4 UUID (node's is drawn from a pooled buffer of random bytes, far cheaper than
 * randomBytes(16)) by replacing its first 12 hex digits with the time and its version digit with 7; the
 * variant bits stay what they are. Within one millisecond the order is random, which keeps the index
 * appends local all the same.
 */
export function timeOrderedId(ms: number): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx
  const time = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}
