import { createSampleDealers, SIMULATOR_SUBSCRIPTIONS } from '../../../src/simulator/sample-data';
import { escapeHtml, html } from '../../../src/simulator/html';

/** ISO 3779 check digit: VINs in the sample data must look real to a validating client. */
function vinCheckDigitIsValid(vin: string): boolean {
  const values: Record<string, number> = { A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8, J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9, S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9 };
  const weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
  const sum = [...vin].reduce((total, ch, i) => total + (/\d/.test(ch) ? Number(ch) : values[ch]) * weights[i], 0);
  const check = sum % 11 === 10 ? 'X' : String(sum % 11);
  return /^[A-HJ-NPR-Z0-9]{17}$/.test(vin) && vin[8] === check;
}

describe('the sample dealers', () => {
  it('are one per exported subscription id, with the documented differences', () => {
    const dealers = createSampleDealers();
    expect([...dealers.keys()].sort()).toEqual(Object.values(SIMULATOR_SUBSCRIPTIONS).sort());
    const test = dealers.get(SIMULATOR_SUBSCRIPTIONS.test)!;
    expect(test).toMatchObject({ status: 'active', crmConfigured: true });
    expect(test.appointments).toHaveLength(12);
    expect(test.vehicles).toHaveLength(5);
    expect(dealers.get(SIMULATOR_SUBSCRIPTIONS.sunrise)).toMatchObject({ status: 'active', crmConfigured: false });
    expect(dealers.get(SIMULATOR_SUBSCRIPTIONS.lakeside)).toMatchObject({ status: 'inactive', deactivationDate: '2025-09-30' });
    expect(dealers.get(SIMULATOR_SUBSCRIPTIONS.harbor)!.apis).not.toContain('merchandisable-vehicles-v1');
  });

  it('are a fresh copy each time', () => {
    const first = createSampleDealers();
    first.get('test')!.appointments.length = 0;
    expect(createSampleDealers().get('test')!.appointments).toHaveLength(12);
  });

  it('use valid VINs and date-times with offsets', () => {
    for (const dealer of createSampleDealers().values()) {
      for (const vehicle of dealer.vehicles) expect(vinCheckDigitIsValid(vehicle.summary.vin)).toBe(true);
      for (const appointment of dealer.appointments) expect(appointment.dateTime).toMatch(/T\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    }
  });
});

describe('HTML escaping', () => {
  it('escapes the five special characters and interpolated values, but not nested safe HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(html`<p>${'<b>'}${html`<i>ok</i>`}</p>`.value).toBe('<p>&lt;b&gt;<i>ok</i></p>');
  });
});
