import { FaultStore, FaultValidationError } from '../../../src/simulator/faults';
import { FakeClock } from '../../support/fake-clock';

describe('the fault store', () => {
  let store: FaultStore;
  beforeEach(() => {
    store = new FaultStore(new FakeClock());
  });

  it('applies a counted fault that many times, then forgets it', () => {
    store.add({ target: 'api', status: 500, count: 2 });
    expect(store.take('api', '/service/v3/appointments')).toMatchObject({ status: 500, remaining: 1 });
    expect(store.take('api', '/service/v3/appointments')).toMatchObject({ remaining: 0 });
    expect(store.take('api', '/service/v3/appointments')).toBeUndefined();
    expect(store.list()).toEqual([]);
  });

  it('keeps an uncounted fault until cleared', () => {
    store.add({ target: 'token', delayMs: 10 });
    for (let i = 0; i < 5; i += 1) expect(store.take('token', '/oauth2/aus-simulator/v1/token')).toBeDefined();
    store.clear();
    expect(store.take('token', '/oauth2/aus-simulator/v1/token')).toBeUndefined();
  });

  it('matches on target and path prefix, oldest first', () => {
    store.add({ target: 'api', status: 502, pathPrefix: '/crm/' });
    store.add({ target: 'api', status: 504 });
    expect(store.take('token', '/crm/x')).toBeUndefined();
    expect(store.take('api', '/crm/cdk-crm/v1/leads/ping')?.status).toBe(502);
    expect(store.take('api', '/service/v3/appointments')?.status).toBe(504);
  });

  it('turns status 0 into a dropped connection', () => {
    const fault = store.add({ target: 'api', status: 0 });
    expect(fault.drop).toBe(true);
    expect(fault).not.toHaveProperty('status');
  });

  it('lists every problem of a bad fault in one message', () => {
    const attempt = () => store.add({ target: 'api', status: 99, delayMs: 200_000, code: 'NOPE' });
    expect(attempt).toThrow(FaultValidationError);
    expect(attempt).toThrow(/status: .*; delayMs: .*; code: /);
  });

  it('refuses a token fault whose code is not an OAuth error code, and drop with a status', () => {
    expect(() => store.add({ target: 'token', code: 'QUOTA-EXCEEDED' })).toThrow(/OAuth error code/);
    expect(() => store.add({ target: 'api', drop: true, status: 500 })).toThrow(/drop cannot be combined/);
  });
});
