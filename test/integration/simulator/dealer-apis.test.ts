import { SIMULATOR_SUBSCRIPTIONS } from '../../../src/simulator';
import { startHarness, type SimulatorHarness } from './simulator-harness';

const APPOINTMENTS = '/service/v3/appointments';

describe('the simulated Service Appointments v3 API', () => {
  let h: SimulatorHarness;
  let token: string;
  beforeAll(async () => {
    h = await startHarness();
    token = await h.token();
  });
  afterAll(() => h.running.close());

  it("lists the test dealer's appointments ten at a time with first, next and self links", async () => {
    const response = await h.api().get(`${APPOINTMENTS}/`).set(h.apiHeaders(token));
    const base = `${h.running.apiBaseUrl}${APPOINTMENTS}/`;
    expect(response.status).toBe(200);
    expect(response.body.items).toHaveLength(10);
    expect(response.body.totalItems).toBe(12);
    expect(response.body.totalPages).toBe(2);
    expect(response.body.links).toEqual({
      first: { href: `${base}?page=1&pageSize=10` },
      next: { href: `${base}?page=2&pageSize=10` },
      self: { href: `${base}?page=1&pageSize=10` },
    });
  });

  it('serves the second page with a prev link and no next link', async () => {
    const response = await h.api().get(`${APPOINTMENTS}/`).query({ page: 2 }).set(h.apiHeaders(token));
    expect(response.body.items).toHaveLength(2);
    expect(response.body.links.prev.href).toContain('page=1');
    expect(response.body.links.next).toBeUndefined();
  });

  it('answers items in the documented shape with absolute hrefs', async () => {
    const response = await h.api().get(APPOINTMENTS).query({ pageSize: 1 }).set(h.apiHeaders(token));
    const base = h.running.apiBaseUrl;
    expect(response.body.items[0]).toEqual({
      appointmentId: '100201',
      dateTime: '2026-01-05T08:00:00-06:00',
      requestedServices: [{ description: 'Oil and filter change' }, { description: 'Tire rotation' }],
      vehicleHref: `${base}/service/v3/vehicles/4T1C11AK7RU123456`,
      vehicleMileage: { value: 18420, units: 'MILES' },
      customerHref: `${base}/service/v3/customers/C-20011`,
      contact: { label: 'mobile', uri: 'tel:+1-312-555-0111' },
      advisorHref: `${base}/service/v3/advisors/ADV-07`,
      concerns: expect.any(String),
      remarks: expect.any(String),
      links: { self: { href: `${base}${APPOINTMENTS}/100201` } },
    });
  });

  it('filters by an ISO-8601 dateTimeInterval and keeps the interval in its links', async () => {
    const interval = '2026-01-12T00:00:00-06:00/2026-01-14T00:00:00-06:00';
    const response = await h.api().get(`${APPOINTMENTS}/`).query({ dateTimeInterval: interval }).set(h.apiHeaders(token));
    expect(response.body.items.map((item: { appointmentId: string }) => item.appointmentId)).toEqual(['100208', '100209']);
    expect(new URL(response.body.links.self.href).searchParams.get('dateTimeInterval')).toBe(interval);
  });

  it.each([
    ['page=0', { page: '0' }],
    ['pageSize=101', { pageSize: '101' }],
    ['pageSize=ten', { pageSize: 'ten' }],
    ['a dateTimeInterval without an end', { dateTimeInterval: '2026-01-12T00:00:00-06:00' }],
  ])('answers 400 {code, message} for %s', async (_name, query) => {
    const response = await h.api().get(`${APPOINTMENTS}/`).query(query).set(h.apiHeaders(token));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ code: 400, message: expect.any(String) });
  });

  it('gets one appointment by id', async () => {
    const response = await h.api().get(`${APPOINTMENTS}/100205`).set(h.apiHeaders(token));
    expect(response.status).toBe(200);
    expect(response.body.requestedServices).toEqual([{ description: 'Battery test' }, { description: 'Replace 12V battery' }]);
  });

  it('answers 404 {code, message} for an appointment that does not exist', async () => {
    const response = await h.api().get(`${APPOINTMENTS}/999999`).set(h.apiHeaders(token));
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ code: 404, message: 'Appointment 999999 was not found.' });
  });

  it('creates an appointment: 201 with a Location header, then it can be read and deleted', async () => {
    const created = await h
      .api()
      .post(`${APPOINTMENTS}/`)
      .set(h.apiHeaders(token))
      .send({ dateTime: '2026-01-20T09:00:00-06:00', requestedServices: [{ description: 'Tire rotation' }], remarks: 'Created by a test' });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`${h.running.apiBaseUrl}${APPOINTMENTS}/${created.body.appointmentId}`);
    expect(created.body).toMatchObject({ dateTime: '2026-01-20T09:00:00-06:00', remarks: 'Created by a test' });

    const read = await h.api().get(`${APPOINTMENTS}/${created.body.appointmentId}`).set(h.apiHeaders(token));
    expect(read.body).toEqual(created.body);
    const deleted = await h.api().delete(`${APPOINTMENTS}/${created.body.appointmentId}`).set(h.apiHeaders(token));
    expect(deleted.status).toBe(204);
    const gone = await h.api().delete(`${APPOINTMENTS}/${created.body.appointmentId}`).set(h.apiHeaders(token));
    expect(gone.status).toBe(404);
  });

  it('refuses to create an appointment without dateTime or services, naming each problem', async () => {
    const response = await h.api().post(APPOINTMENTS).set(h.apiHeaders(token)).send({ dateTime: 'tomorrow', requestedServices: [] });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe(400);
    expect(response.body.message).toMatch(/dateTime/);
    expect(response.body.message).toMatch(/requestedServices/);
  });

  it('answers 400 for a body that is not JSON, but only after checking the token', async () => {
    const bad = await h.api().post(APPOINTMENTS).set(h.apiHeaders(token)).type('json').send('{"dateTime":');
    const unauthenticated = await h.api().post(APPOINTMENTS).set('Subscription-Id', 'test').type('json').send('{"dateTime":');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ code: 400, message: 'The request body is not valid JSON.' });
    expect(unauthenticated.status).toBe(401);
  });

  it("keeps each dealer's appointments apart", async () => {
    const sunrise = await h.api().get(APPOINTMENTS).set(h.apiHeaders(token, SIMULATOR_SUBSCRIPTIONS.sunrise));
    expect(sunrise.body.totalItems).toBe(4);
    expect(sunrise.body.items[0].appointmentId).toBe('300501');
  });
});

describe('the simulated Merchandisable Vehicles v1, CRM ping and subscriptions APIs', () => {
  let h: SimulatorHarness;
  let token: string;
  beforeAll(async () => {
    h = await startHarness();
    token = await h.token();
  });
  afterAll(() => h.running.close());

  it("lists the dealer's merchandisable vehicles in the documented shape", async () => {
    const response = await h.api().get('/sales/inventory/v1/merchandisable-vehicles/').set(h.apiHeaders(token));
    expect(response.status).toBe(200);
    expect(response.body.totalItems).toBe(5);
    expect(response.body.items[0]).toEqual({
      merchandisableVehicleId: 'MV-TEST-0001',
      summary: {
        type: 'NEW',
        primaryImageLink: { href: expect.stringMatching(/^https:\/\//) },
        year: 2026,
        make: 'Toyota',
        model: 'Camry',
        vin: '4T1C11AK7RU123456',
      },
      description: { description: expect.any(String), salesDescription: expect.any(String) },
      prices: [
        { priceType: 'MSRP', netPrice: 29495 },
        { priceType: 'INTERNET_PRICE', netPrice: 28650 },
      ],
    });
  });

  it('answers the CRM ping with Connection OK for a dealer whose CRM is configured', async () => {
    const response = await h.api().get('/crm/cdk-crm/v1/leads/ping').set(h.apiHeaders(token));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ message: 'Connection OK' });
  });

  it('answers the CRM ping with 400 Connection Not OK for an active dealer without CRM', async () => {
    const response = await h.api().get('/crm/cdk-crm/v1/leads/ping').set(h.apiHeaders(token, SIMULATOR_SUBSCRIPTIONS.sunrise));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ code: 400, message: 'Connection Not OK' });
  });

  it("lists the app's subscriptions with the app's token alone (no Subscription-Id)", async () => {
    const response = await h.http().get('/v1/solution/subscriptions').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(200);
    const byId = Object.fromEntries(response.body.subscriptions.map((s: { subscriptionId: string }) => [s.subscriptionId, s]));
    expect(Object.keys(byId).sort()).toEqual(Object.values(SIMULATOR_SUBSCRIPTIONS).sort());
    expect(byId.test).toMatchObject({ orgName: 'Test Dealer (Fortellis sample data)', status: 'active', deactivationDate: '' });
    expect(byId[SIMULATOR_SUBSCRIPTIONS.lakeside]).toMatchObject({ status: 'inactive', deactivationDate: '2025-09-30' });
    expect(byId.test).toEqual(
      expect.objectContaining({ orgId: expect.any(String), activationDate: expect.any(String), environment: expect.any(String), dealerCodes: expect.any(Array) }),
    );
  });

  it('filters subscriptions by orgId', async () => {
    const all = await h.http().get('/v1/solution/subscriptions').set('Authorization', `Bearer ${token}`);
    const sunrise = all.body.subscriptions.find((s: { subscriptionId: string }) => s.subscriptionId === SIMULATOR_SUBSCRIPTIONS.sunrise);
    const response = await h.http().get('/v1/solution/subscriptions').query({ orgId: sunrise.orgId }).set('Authorization', `Bearer ${token}`);
    expect(response.body.subscriptions).toEqual([sunrise]);
  });

  it("describes a subscription's organisation and app in the docs' four objects, and answers 404 for an unknown one", async () => {
    const context = await h.http().get(`/subscriptions/${SIMULATOR_SUBSCRIPTIONS.sunrise}/context`).set('Authorization', `Bearer ${token}`);
    expect(context.status).toBe(200);
    const organization = { id: expect.any(String), name: 'Sunrise Motors', address: expect.stringContaining('Phoenix'), countryCode: 'US', phoneNumber: expect.any(String) };
    const app = { id: expect.any(String), name: expect.any(String), developer: expect.any(String), contactEmail: expect.stringContaining('@') };
    // As in the docs' answer: entityInfo and solutionInfo are the older names of the same two objects.
    expect(context.body).toEqual({ organizationInfo: organization, appInfo: app, entityInfo: organization, solutionInfo: app });
    expect(context.body.entityInfo).toEqual(context.body.organizationInfo);
    expect(context.body.solutionInfo).toEqual(context.body.appInfo);
    const unknown = await h.http().get('/subscriptions/nope/context').set('Authorization', `Bearer ${token}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe(404);
  });

  it('refuses the subscriptions API without a token', async () => {
    const response = await h.http().get('/v1/solution/subscriptions');
    expect(response.status).toBe(401);
    expect(response.body.message).toMatch(/^MISSING-AUTHORIZATION/);
  });
});

describe('the simulated gateway: request bodies', () => {
  let h: SimulatorHarness;
  let token: string;
  beforeAll(async () => {
    h = await startHarness();
    token = await h.token();
  });
  afterAll(() => h.running.close());

  it('answers 413 PAYLOAD-TOO-BIG for a body over 100 kB', async () => {
    const huge = { dateTime: '2026-01-20T09:00:00Z', requestedServices: [{ description: 'x' }], remarks: 'x'.repeat(150_000) };
    const response = await h.api().post(APPOINTMENTS).set(h.apiHeaders(token)).send(huge);
    expect(response.status).toBe(413);
    expect(response.body.message).toMatch(/^PAYLOAD-TOO-BIG: /);
  });
});
