import {
  listLinks,
  nextAppointmentId,
  pageOfAppointments,
  parseDateTimeInterval,
  parseListQuery,
  parseNewAppointment,
} from '../../../src/simulator/appointments';
import type { AppointmentRecord } from '../../../src/simulator/sample-data';

const at = (appointmentId: string, dateTime: string): AppointmentRecord => ({
  appointmentId,
  dateTime,
  requestedServices: [{ description: 'Oil change' }],
});

describe('the appointments list query', () => {
  it('defaults to page 1 of 10', () => {
    expect(parseListQuery({})).toEqual({ ok: true, value: { page: 1, pageSize: 10 } });
  });

  it.each([
    [{ page: '0' }, /page/],
    [{ page: '-1' }, /page/],
    [{ page: '1.5' }, /page/],
    [{ pageSize: '0' }, /pageSize/],
    [{ pageSize: '101' }, /pageSize/],
    [{ page: ['1', '2'] }, /at most once/],
  ])('refuses %j', (query, message) => {
    expect(parseListQuery(query)).toEqual({ ok: false, message: expect.stringMatching(message) });
  });

  it('reads ISO-8601 intervals with offsets, open at either end, and refuses the rest', () => {
    expect(parseDateTimeInterval('2026-01-05T00:00:00Z/2026-01-06T00:00:00+01:00')).toEqual({
      ok: true,
      value: { from: Date.parse('2026-01-05T00:00:00Z'), to: Date.parse('2026-01-05T23:00:00Z') },
    });
    expect(parseDateTimeInterval('../2026-01-06T00:00:00Z')).toEqual({ ok: true, value: { to: Date.parse('2026-01-06T00:00:00Z') } });
    expect(parseDateTimeInterval('2026-01-05/2026-01-06').ok).toBe(false);
    expect(parseDateTimeInterval('2026-01-06T00:00:00Z/2026-01-05T00:00:00Z').ok).toBe(false);
    expect(parseDateTimeInterval('../..').ok).toBe(false);
  });
});

describe('paging appointments', () => {
  const records = [
    at('3', '2026-01-07T09:00:00-06:00'),
    at('1', '2026-01-05T09:00:00-06:00'),
    at('2', '2026-01-06T09:00:00Z'),
  ];

  it('sorts by instant across offsets, and cuts pages', () => {
    const page = pageOfAppointments(records, { page: 2, pageSize: 2 });
    expect(page).toEqual({ items: [records[0]], totalItems: 3, totalPages: 2 });
    expect(pageOfAppointments(records, { page: 1, pageSize: 2 }).items.map((r) => r.appointmentId)).toEqual(['1', '2']);
  });

  it('includes the interval start and excludes its end', () => {
    const from = Date.parse('2026-01-06T09:00:00Z');
    const to = Date.parse('2026-01-07T15:00:00Z');
    expect(pageOfAppointments(records, { page: 1, pageSize: 10, from, to }).items.map((r) => r.appointmentId)).toEqual(['2']);
  });

  it('links to prev and next only where they exist', () => {
    expect(Object.keys(listLinks({ page: 1, pageSize: 2 }, 2, 'http://x'))).toEqual(['first', 'next', 'self']);
    expect(Object.keys(listLinks({ page: 2, pageSize: 2 }, 2, 'http://x'))).toEqual(['first', 'prev', 'self']);
    expect(Object.keys(listLinks({ page: 1, pageSize: 2 }, 0, 'http://x'))).toEqual(['first', 'self']);
  });

  it('numbers new appointments after the largest id', () => {
    expect(nextAppointmentId(records)).toBe('4');
    expect(nextAppointmentId([])).toBe('100001');
  });
});

describe('validating a new appointment', () => {
  it('accepts the minimum: an ISO dateTime with offset and one service', () => {
    expect(parseNewAppointment({ dateTime: '2026-01-20T09:00:00-06:00', requestedServices: [{ description: 'Tire rotation' }] }).ok).toBe(true);
  });

  it.each([
    ['no body', undefined, /JSON object/],
    ['an array', [], /JSON object/],
    ['no dateTime', { requestedServices: [{ description: 'x' }] }, /dateTime/],
    ['a dateTime without offset', { dateTime: '2026-01-20T09:00:00', requestedServices: [{ description: 'x' }] }, /dateTime/],
    ['no services', { dateTime: '2026-01-20T09:00:00Z', requestedServices: [] }, /requestedServices/],
    ['a blank service', { dateTime: '2026-01-20T09:00:00Z', requestedServices: [{ description: ' ' }] }, /requestedServices\.0\.description/],
    ['bad mileage units', { dateTime: '2026-01-20T09:00:00Z', requestedServices: [{ description: 'x' }], vehicleMileage: { value: 1, units: 'LEAGUES' } }, /vehicleMileage\.units/],
  ])('refuses %s', (_name, body, message) => {
    expect(parseNewAppointment(body)).toEqual({ ok: false, message: expect.stringMatching(message) });
  });
});
