import request from 'supertest';
import { SIMULATOR_DEMO_ACCOUNT } from '../../../src/simulator';
import { buildTestApp, type TestApp } from '../../support/test-app';

/** Every `<script>` of a page, so a test can insist that each one is a static file. */
function scriptTags(html: string): string[] {
  return html.match(/<script\b[^>]*>/g) ?? [];
}

describe('the implicit-flow demo page', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('is served at /implicit/ to anyone, signed in to this app or not', async () => {
    const page = await request(t.app).get('/implicit/').expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('id="implicit-sign-in"');
    expect(page.text).toContain('id="implicit-error"');
    expect(page.text).toContain('id="implicit-token"');
    expect(page.text).toContain('<html lang="en">');
  });

  it('sends /implicit to /implicit/, the one URL the redirect URI names', async () => {
    const response = await request(t.app).get('/implicit').expect(308);
    expect(response.headers.location).toBe('/implicit/');
  });

  it('hands the script the authorize URL, the issuer, the API key as client_id and the registered redirect URI', async () => {
    const page = await request(t.app).get('/implicit/').expect(200);
    expect(page.text).toContain(`data-authorize-url="${t.config.fortellis.authorizeUrl}"`);
    expect(page.text).toContain(`data-client-id="${t.config.fortellis.apiKey}"`);
    expect(page.text).toContain(`data-redirect-uri="${t.config.implicit.redirectUri}"`);
    // The ID token's iss is checked against it.
    expect(page.text).toContain(`data-issuer="${t.config.fortellis.issuer}"`);
    expect(t.config.fortellis.authorizeUrl).toBe(`${t.sim.url}/oauth2/aus-simulator/v1/authorize`);
  });

  it('never hands the page the API secret', async () => {
    const page = await request(t.app).get('/implicit/').expect(200);
    expect(page.text).not.toContain(t.config.fortellis.apiSecret);
  });

  it('shows the simulated Fortellis account in simulator mode', async () => {
    const page = await request(t.app).get('/implicit/').expect(200);
    expect(page.text).toContain(SIMULATOR_DEMO_ACCOUNT.email);
    expect(page.text).toContain(SIMULATOR_DEMO_ACCOUNT.password);
  });

  it('runs its script from a static file under the strict CSP, with no inline script', async () => {
    const page = await request(t.app).get('/implicit/').expect(200);
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    // The flow starts with a top-level navigation, not a form post, so form-action stays 'self'.
    expect(csp).toContain("form-action 'self'");
    expect(page.headers['cache-control']).toBe('no-store');
    expect(scriptTags(page.text)).toEqual(['<script src="/public/js/implicit.js" defer>']);
    await request(t.app).get('/public/js/implicit.js').expect(200).expect('content-type', /javascript/);
  });

  it('says what the flow exposes: JavaScript’s reach, the URL, no refresh, no Subscription-Id', async () => {
    const page = await request(t.app).get('/implicit/').expect(200);
    expect(page.text).toContain('The token is in JavaScript’s reach.');
    expect(page.text).toContain('It was in the URL.');
    expect(page.text).toContain('There is no refresh.');
    expect(page.text).toContain('There is no Subscription-Id.');
    expect(page.text).toContain('decoded, not verified');
  });

  it('marks the demo as the current page in the navigation, which links all four pages', async () => {
    const page = await request(t.app).get('/implicit/').expect(200);
    expect(page.text).toContain('<a href="/implicit/" aria-current="page">Implicit demo</a>');
    for (const href of ['/dashboard', '/dashboard#console-heading', '/compare']) expect(page.text).toContain(`href="${href}"`);
  });
});

describe('the implicit-flow demo page with a hostile configuration value', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({
      adjust: (config) => ({ ...config, implicit: { redirectUri: 'http://localhost:3000/implicit/?"><script>alert(1)</script>' } }),
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('escapes it in the page', async () => {
    const page = await request(t.app).get('/implicit/').expect(200);
    expect(page.text).not.toContain('<script>alert(1)</script>');
    expect(page.text).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('the comparison page', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('puts the two flows side by side, point by point, for a visitor who is not signed in', async () => {
    const page = await request(t.app).get('/compare').expect(200);
    for (const point of [
      'Who signs the user in',
      'Where the token is minted and held',
      'Who can see it',
      'Lifetime and renewal',
      'Where the Subscription-Id comes from',
      'CSRF exposure',
      'XSS exposure',
      'What happens at 3600 s',
      'What a thief can do',
      'What Fortellis recommends',
    ]) {
      expect(page.text).toContain(`<th scope="row">${point}</th>`);
    }
    expect(page.text).toContain('Which one to ship: the recommended flow');
  });

  it('draws each flow as an accessible SVG sequence diagram that needs no script', async () => {
    const page = await request(t.app).get('/compare').expect(200);
    expect(page.text).toMatch(/<svg class="seq" id="implicit-flow-diagram" role="img" aria-labelledby="implicit-flow-diagram-title implicit-flow-diagram-desc"/);
    expect(page.text).toMatch(/<svg class="seq" id="recommended-flow-diagram" role="img"/);
    expect(page.text).toContain('<title id="implicit-flow-diagram-title">The implicit flow (the seed tutorial, done correctly)</title>');
    // Text in the diagrams is escaped like everything else.
    expect(page.text).toContain('id_token=JWT&amp;access_token=JWT&amp;token_type=Bearer');
    expect(page.text).not.toMatch(/style="/);
    expect(scriptTags(page.text)).toEqual(['<script src="/public/js/compare.js" defer>']);
  });

  it('invites a signed-out visitor to sign in for live facts, and shows none', async () => {
    const page = await request(t.app).get('/compare').expect(200);
    expect(page.text).toContain('id="live-facts-signed-out"');
    expect(page.text).not.toContain('id="live-facts"');
  });

  it('shows the signed-in viewer’s own session: who, which subscription, and when it ends', async () => {
    const { agent } = await t.signIn();
    t.clock.advance(10 * 60_000);
    const page = await agent.get('/compare').expect(200);
    expect(page.text).toContain('id="live-facts"');
    expect(page.text).toContain('<dd id="compare-username">demo</dd>');
    expect(page.text).toContain('<code id="compare-subscription">test</code>');
    const endsAt = new Date(t.clock.now() + t.config.session.idleTimeoutMs).toISOString();
    expect(page.text).toContain(`<time id="compare-session-expires" datetime="${endsAt}">`);
    expect(page.text).toContain('id="compare-last-request-id"');
    expect(page.text).toContain('<a href="/compare" aria-current="page">Compare</a>');
  });

  it('caps the session end shown at the absolute lifetime', async () => {
    const { agent } = await t.signIn();
    const signedInAt = t.clock.now();
    // Stay active (each request restarts the idle timeout) until close to the absolute limit.
    const step = t.config.session.idleTimeoutMs - 60_000;
    while (t.clock.now() + step < signedInAt + t.config.session.absoluteTimeoutMs - 60_000) {
      t.clock.advance(step);
      await agent.get('/api/me').expect(200);
    }
    const page = await agent.get('/compare').expect(200);
    const endsAt = new Date(Math.min(t.clock.now() + t.config.session.idleTimeoutMs, signedInAt + t.config.session.absoluteTimeoutMs)).toISOString();
    expect(page.text).toContain(`datetime="${endsAt}"`);
    expect(endsAt).toBe(new Date(signedInAt + t.config.session.absoluteTimeoutMs).toISOString());
  });
});
