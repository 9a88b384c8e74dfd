import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SIMULATOR_DEMO_ACCOUNT, SIMULATOR_IDENTITY_PATH } from '../../src/simulator';
import { JWT_PATTERN, launchChromium, screenshot, watchPage, type PageWatch } from './support/browser';
import { addressFragment, overflowsHorizontally, scriptReadableStorage, waitForTextChange } from './support/pages';
import { startE2eServers, type E2eServers } from './support/servers';

describe('the implicit-flow demo in a real browser', () => {
  let servers: E2eServers;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;

  const demoUrl = () => `${servers.appUrl}/implicit/`;
  const authorizeUrl = () => `${servers.sim.url}${SIMULATOR_IDENTITY_PATH}/authorize`;

  beforeAll(async () => {
    servers = await startE2eServers();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await servers?.close();
  });

  // A fresh browser profile for each test: sessionStorage and history start empty.
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    watch = watchPage(page);
  });

  afterEach(async () => {
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  /** Clicks the demo's sign-in button and waits for the (simulated) Fortellis sign-in form. */
  async function startSignIn(): Promise<URL> {
    await page.goto(demoUrl());
    await Promise.all([page.waitForURL((url) => url.href.startsWith(authorizeUrl())), page.locator('#implicit-sign-in').click()]);
    return new URL(page.url());
  }

  async function signInAtFortellis(): Promise<void> {
    await page.getByLabel('E-mail').fill(SIMULATOR_DEMO_ACCOUNT.email);
    await page.getByLabel('Password').fill(SIMULATOR_DEMO_ACCOUNT.password);
    await Promise.all([page.waitForURL((url) => url.href.startsWith(demoUrl())), page.getByRole('button', { name: 'Sign in' }).click()]);
  }

  it('sends the user to the authorize endpoint with a fresh random state and nonce each time', async () => {
    await page.goto(demoUrl());
    await expect(page.locator('#implicit-origin-warning').isHidden()).resolves.toBe(true);
    await screenshot(page, '05-implicit-start');

    const first = await startSignIn();
    expect(first.searchParams.get('client_id')).toBe(servers.config.fortellis.apiKey);
    // An ID token beside the access token: the nonce comes back in it (Fortellis' access tokens carry none).
    expect(first.searchParams.get('response_type')).toBe('id_token token');
    expect(first.searchParams.get('scope')).toBe('openid');
    expect(first.searchParams.get('redirect_uri')).toBe(demoUrl());
    expect(first.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await screenshot(page, '06-simulator-sign-in');

    const second = await startSignIn();
    expect(second.searchParams.get('state')).not.toBe(first.searchParams.get('state'));
    expect(second.searchParams.get('nonce')).not.toBe(first.searchParams.get('nonce'));
  });

  it('signs in at Fortellis and shows the token, logs it to the console and removes it from the URL', async () => {
    const request = await startSignIn();
    await signInAtFortellis();

    const tokenBox = page.locator('#implicit-token');
    await tokenBox.waitFor({ state: 'visible' });
    const token = (await tokenBox.textContent()) ?? '';
    expect(token).toMatch(JWT_PATTERN);
    expect(page.url()).toBe(demoUrl());
    await expect(addressFragment(page)).resolves.toBe('');
    expect(watch.console.some((line) => line.startsWith('log: ') && line.includes(token))).toBe(true);
    await expect(page.locator('#implicit-error').isHidden()).resolves.toBe(true);

    const claims = JSON.parse((await page.locator('#implicit-claims').textContent()) ?? '{}') as Record<string, unknown>;
    // The access token is shaped like the docs' decoded Fortellis token: no nonce in it.
    expect(claims).toMatchObject({ sub: SIMULATOR_DEMO_ACCOUNT.email, scp: ['openid'], uid: expect.stringMatching(/^00u/) });
    expect(claims).not.toHaveProperty('nonce');
    const idClaims = JSON.parse((await page.locator('#implicit-id-claims').textContent()) ?? '{}') as Record<string, unknown>;
    expect(idClaims).toMatchObject({ nonce: request.searchParams.get('nonce'), aud: servers.config.fortellis.apiKey, iss: servers.config.fortellis.issuer, at_hash: expect.any(String) });
    await expect(page.getByText('decoded, not verified').first().isVisible()).resolves.toBe(true);
    // What a browser cannot check, it says plainly.
    await expect(page.locator('#implicit-unchecked').textContent()).resolves.toMatch(/not checked here/);
    await expect(page.locator('#implicit-expiry').textContent()).resolves.toMatch(/^(59|60) min \d\d s/);
    await expect(page.locator('#implicit-tutorial-value').textContent()).resolves.toMatch(/&token_type$/);
    // The attempt's state is used once: it is gone from storage, and the page stored no token anywhere.
    await expect(scriptReadableStorage(page)).resolves.toEqual({ cookie: '', local: '{}', session: '{}' });
    // The fragment never reaches a server: the app's logs cannot hold the token.
    expect(servers.logs.text).not.toContain(token);
    await screenshot(page, '07-implicit-token');

    // The countdown is live: wait for the page to change it, rather than for a fixed time.
    const shown = (await page.locator('#implicit-expiry').textContent()) ?? '';
    await waitForTextChange(page, '#implicit-expiry', shown);

    await page.locator('#implicit-forget').click();
    await expect(tokenBox.textContent()).resolves.toBe('');
    await expect(page.locator('#implicit-result').isHidden()).resolves.toBe(true);
  });

  it('keeps the token out of the history: back and forward again show no fragment', async () => {
    await startSignIn();
    await signInAtFortellis();
    await page.locator('#implicit-token').waitFor({ state: 'visible' });
    await page.goBack();
    await page.waitForURL((url) => url.href.startsWith(authorizeUrl()));
    await page.goForward();
    await page.waitForURL((url) => url.href.startsWith(demoUrl()));
    expect(page.url()).toBe(demoUrl());
    await expect(addressFragment(page)).resolves.toBe('');
  });

  it('refuses a forged return that this tab never asked for, and shows no token', async () => {
    await page.goto(`${demoUrl()}#access_token=x&state=wrong`);
    const error = page.locator('#implicit-error');
    await error.waitFor({ state: 'visible' });
    await expect(error.textContent()).resolves.toContain('Refused');
    await expect(page.locator('#implicit-result').isHidden()).resolves.toBe(true);
    await expect(page.locator('#implicit-token').textContent()).resolves.toBe('');
    expect(page.url()).toBe(demoUrl());
    expect(watch.console.some((line) => line.startsWith('log: '))).toBe(false);
    await screenshot(page, '08-implicit-forged-return');
  });

  it('applies the same checks to a fragment that arrives while the page is open', async () => {
    await page.goto(demoUrl());
    // Same document, new fragment: no reload, only a hashchange event.
    await page.goto(`${demoUrl()}#access_token=x&state=wrong`);
    await page.locator('#implicit-error').waitFor({ state: 'visible' });
    await expect(page.locator('#implicit-token').textContent()).resolves.toBe('');
    await expect(addressFragment(page)).resolves.toBe('');
  });

  it('refuses a return whose state is not the one this tab sent, even while a sign-in is pending', async () => {
    await startSignIn();
    const forgedToken = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYWxsb3J5QGV4YW1wbGUuY29tIn0.'; // {"sub":"mallory@example.com"}, unsigned
    await page.goto(`${demoUrl()}#access_token=${forgedToken}&token_type=Bearer&expires_in=3600&state=wrong`);
    const error = page.locator('#implicit-error');
    await error.waitFor({ state: 'visible' });
    await expect(error.textContent()).resolves.toContain('does not match');
    await expect(page.locator('#implicit-token').textContent()).resolves.toBe('');
    const html = await page.content();
    expect(html).not.toContain(forgedToken);
    expect(html).not.toContain('mallory');
  });

  it('refuses an ID token whose nonce is not the one this tab sent', async () => {
    await startSignIn();
    // Someone changes the request on its way: the same state, another nonce.
    await page.locator('input[name="nonce"]').evaluate((input: { value: string }) => {
      input.value = 'a-nonce-this-tab-never-sent';
    });
    await signInAtFortellis();
    const error = page.locator('#implicit-error');
    await error.waitFor({ state: 'visible' });
    await expect(error.textContent()).resolves.toContain('nonce');
    await expect(page.locator('#implicit-token').textContent()).resolves.toBe('');
    expect(page.url()).toBe(demoUrl());
  });

  /** An unsigned JWT with these claims: what someone who can put a fragment in front of the page can make. */
  const unsignedJwt = (claims: Record<string, unknown>) =>
    [{ alg: 'RS256', typ: 'JWT' }, claims].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.c2ln';

  /** A return for the pending attempt (right state), with the given values in the fragment. */
  async function returnWith(values: Record<string, string>) {
    const request = await startSignIn();
    const fragment = new URLSearchParams({ token_type: 'Bearer', expires_in: '3600', scope: 'openid', state: request.searchParams.get('state')!, ...values });
    await page.goto(`${demoUrl()}#${fragment.toString()}`);
    const error = page.locator('#implicit-error');
    await error.waitFor({ state: 'visible' });
    await expect(page.locator('#implicit-token').textContent()).resolves.toBe('');
    return { request, error: (await error.textContent()) ?? '' };
  }

  it('refuses a return with an access token but no ID token: there is nothing to check the nonce in', async () => {
    const { error } = await returnWith({ access_token: unsignedJwt({ sub: 'mallory@example.com', scp: ['openid'] }) });
    expect(error).toContain('no ID token');
  });

  it('refuses an ID token that does not name the access token it came with (at_hash)', async () => {
    const request = await startSignIn();
    const nonce = request.searchParams.get('nonce')!;
    const idToken = unsignedJwt({
      iss: servers.config.fortellis.issuer,
      aud: servers.config.fortellis.apiKey,
      exp: Math.floor(Date.now() / 1000) + 600,
      nonce,
      at_hash: 'not-the-hash-of-this-token',
    });
    const fragment = new URLSearchParams({
      access_token: unsignedJwt({ sub: 'mallory@example.com', scp: ['openid'] }),
      id_token: idToken,
      token_type: 'Bearer',
      expires_in: '3600',
      state: request.searchParams.get('state')!,
    });
    await page.goto(`${demoUrl()}#${fragment.toString()}`);
    const error = page.locator('#implicit-error');
    await error.waitFor({ state: 'visible' });
    await expect(error.textContent()).resolves.toContain('at_hash');
    await expect(page.locator('#implicit-token').textContent()).resolves.toBe('');
    expect(await page.content()).not.toContain('mallory');
  });

  it('refuses an ID token for another app or from another issuer', async () => {
    const forApp = await returnWith({
      access_token: unsignedJwt({ sub: 'x' }),
      id_token: unsignedJwt({ iss: servers.config.fortellis.issuer, aud: 'another-app', exp: Math.floor(Date.now() / 1000) + 600, nonce: 'n' }),
    });
    expect(forApp.error).toContain('not for this app');
    const fromIssuer = await returnWith({
      access_token: unsignedJwt({ sub: 'x' }),
      id_token: unsignedJwt({ iss: 'https://identity.example.com/oauth2/x', aud: servers.config.fortellis.apiKey, exp: Math.floor(Date.now() / 1000) + 600, nonce: 'n' }),
    });
    expect(fromIssuer.error).toContain('issued by https://identity.example.com/oauth2/x');
  });

  it('looks tidy on a phone-sized screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(demoUrl());
    await screenshot(page, '09-implicit-phone');
    await expect(overflowsHorizontally(page)).resolves.toBe(false);
  });
});
