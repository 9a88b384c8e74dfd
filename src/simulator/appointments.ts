import { z } from 'zod';
import { describeIssues } from './validation';
import type { AppointmentRecord } from './sample-data';

/**
 * Service Appointments v3 as plain functions over a dealer's appointment list: query parsing, filtering,
 * paging, the HAL-style links, and validation of new appointments.
 * https://apidocs.fortellis.io/specs/service-appointments-v3
 */

export const APPOINTMENTS_PATH = '/service/v3/appointments';
export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 100;

export interface ListQuery {
  page: number;
  pageSize: number;
  /** The raw `dateTimeInterval`, repeated in the links. */
  dateTimeInterval?: string;
  /** Inclusive start and exclusive end (ms since the epoch) of the interval; open when absent. */
  from?: number;
  to?: number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const isoDateTime = z.iso.datetime({ offset: true });

/** Reads one query parameter; a repeated parameter is an error rather than a silent pick. */
function single(query: Record<string, unknown>, name: string): Parsed<string | undefined> {
  const value = query[name];
  if (value === undefined || typeof value === 'string') return { ok: true, value };
  return { ok: false, message: `${name} must be given at most once.` };
}

function positiveInteger(raw: string): number | undefined {
  if (!/^\d{1,9}$/.test(raw)) return undefined;
  const value = Number(raw);
  return value >= 1 ? value : undefined;
}

/**
 * Parses an ISO-8601 interval `start/end` of date-times with offsets. Either end may be `..` (or empty)
 * for an open interval, as ISO 8601-2 allows.
 */
export function parseDateTimeInterval(raw: string): Parsed<{ from?: number; to?: number }> {
  const parts = raw.split('/');
  const bad = {
    ok: false as const,
    message:
      'dateTimeInterval must be an ISO-8601 interval "start/end" of date-times with an offset, ' +
      'e.g. 2026-01-05T00:00:00-06:00/2026-01-10T00:00:00-06:00.',
  };
  if (parts.length !== 2) return bad;
  const ends: (number | undefined)[] = [];
  for (const part of parts) {
    if (part === '' || part === '..') {
      ends.push(undefined);
    } else if (isoDateTime.safeParse(part).success) {
      ends.push(Date.parse(part));
    } else {
      return bad;
    }
  }
  const [from, to] = ends;
  if (from === undefined && to === undefined) return bad;
  if (from !== undefined && to !== undefined && from > to) {
    return { ok: false, message: 'dateTimeInterval must not end before it starts.' };
  }
  return { ok: true, value: { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) } };
}

/** Parses `page` (1-based), `pageSize` (1 to 100) and `dateTimeInterval` of a list request. */
export function parseListQuery(query: Record<string, unknown>): Parsed<ListQuery> {
  const page = single(query, 'page');
  if (!page.ok) return page;
  const pageSize = single(query, 'pageSize');
  if (!pageSize.ok) return pageSize;
  const interval = single(query, 'dateTimeInterval');
  if (!interval.ok) return interval;

  const pageNumber = page.value === undefined ? 1 : positiveInteger(page.value);
  if (pageNumber === undefined) return { ok: false, message: 'page must be a whole number of at least 1.' };
  const size = pageSize.value === undefined ? DEFAULT_PAGE_SIZE : positiveInteger(pageSize.value);
  if (size === undefined || size > MAX_PAGE_SIZE) {
    return { ok: false, message: `pageSize must be a whole number from 1 to ${MAX_PAGE_SIZE}.` };
  }
  const result: ListQuery = { page: pageNumber, pageSize: size };
  if (interval.value !== undefined) {
    const parsed = parseDateTimeInterval(interval.value);
    if (!parsed.ok) return parsed;
    Object.assign(result, { dateTimeInterval: interval.value }, parsed.value);
  }
  return { ok: true, value: result };
}

export interface AppointmentPage {
  items: AppointmentRecord[];
  totalItems: number;
  totalPages: number;
}

/** Filters by the interval, sorts by time, and cuts out the requested page. */
export function pageOfAppointments(records: readonly AppointmentRecord[], query: ListQuery): AppointmentPage {
  const matching = records
    .filter((record) => {
      const at = Date.parse(record.dateTime);
      return (query.from === undefined || at >= query.from) && (query.to === undefined || at < query.to);
    })
    .sort((a, b) => Date.parse(a.dateTime) - Date.parse(b.dateTime));
  const start = (query.page - 1) * query.pageSize;
  return {
    items: matching.slice(start, start + query.pageSize),
    totalItems: matching.length,
    totalPages: Math.ceil(matching.length / query.pageSize),
  };
}

/** Makes a stored relative href (`/service/...`) absolute; absolute hrefs stay as they are. */
export function absoluteHref(href: string, publicUrl: string): string {
  return href.startsWith('/') ? `${publicUrl}${href}` : href;
}

/** The URL of one appointment. */
export function appointmentUrl(appointmentId: string, publicUrl: string): string {
  return `${publicUrl}${APPOINTMENTS_PATH}/${encodeURIComponent(appointmentId)}`;
}

/** An appointment as the API returns it: absolute hrefs and its `self` link. */
export function appointmentResource(record: AppointmentRecord, publicUrl: string) {
  const hrefs: Partial<Record<'vehicleHref' | 'customerHref' | 'advisorHref', string>> = {};
  for (const key of ['vehicleHref', 'customerHref', 'advisorHref'] as const) {
    const href = record[key];
    if (href !== undefined) hrefs[key] = absoluteHref(href, publicUrl);
  }
  return {
    ...structuredClone(record),
    ...hrefs,
    links: { self: { href: appointmentUrl(record.appointmentId, publicUrl) } },
  };
}

/** `first`, `self`, and `prev`/`next` where they exist, keeping the page size and interval. */
export function listLinks(query: ListQuery, totalPages: number, publicUrl: string) {
  const pageHref = (page: number) => {
    const params = new URLSearchParams({ page: String(page), pageSize: String(query.pageSize) });
    if (query.dateTimeInterval !== undefined) params.set('dateTimeInterval', query.dateTimeInterval);
    return { href: `${publicUrl}${APPOINTMENTS_PATH}/?${params.toString()}` };
  };
  return {
    first: pageHref(1),
    ...(query.page < totalPages ? { next: pageHref(query.page + 1) } : {}),
    ...(query.page > 1 ? { prev: pageHref(Math.min(query.page - 1, Math.max(totalPages, 1))) } : {}),
    self: pageHref(query.page),
  };
}

const text = (max: number) => z.string().max(max);

/** A new appointment: `dateTime` and at least one requested service are required. */
export const newAppointmentSchema = z.object({
  dateTime: isoDateTime,
  requestedServices: z
    .array(z.object({ description: z.string().trim().min(1).max(500) }))
    .min(1, { message: 'at least one requested service is required' })
    .max(50),
  vehicleHref: text(2000).optional(),
  vehicleMileage: z
    .object({ value: z.number().int().min(0).max(10_000_000), units: z.enum(['MILES', 'KILOMETERS']) })
    .optional(),
  customerHref: text(2000).optional(),
  contact: z.object({ label: text(100), uri: text(500) }).optional(),
  advisorHref: text(2000).optional(),
  concerns: text(2000).optional(),
  remarks: text(2000).optional(),
});

/** Validates a create request's body into a record without its id. */
export function parseNewAppointment(body: unknown): Parsed<Omit<AppointmentRecord, 'appointmentId'>> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, message: 'The request body must be a JSON object (Content-Type: application/json).' };
  }
  const parsed = newAppointmentSchema.safeParse(body);
  if (!parsed.success) return { ok: false, message: `Invalid appointment: ${describeIssues(parsed.error.issues)}` };
  return { ok: true, value: parsed.data };
}

/** The next id after the largest numeric one, like the sample data's six-digit ids. */
export function nextAppointmentId(records: readonly AppointmentRecord[]): string {
  const numbers = records.map((record) => Number(record.appointmentId)).filter(Number.isSafeInteger);
  return String(numbers.length > 0 ? Math.max(...numbers) + 1 : 100001);
}
