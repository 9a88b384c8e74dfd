import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { Totp } from '../../src/auth/mfa/totp';
import type { Clock } from '../../src/lib/clock';
import { extractFormCsrf, sessionCookie, type SignedIn, type TestApp } from './test-app';

/** TOTP codes as the user's phone would show them, computed from the test's clock. */
export function codeAt(secret: string, clock: Clock, offsetMs = 0): string {
  return new Totp(clock, 'test').codeAt(secret, clock.now() + offsetMs);
}

/** Enrols a TOTP factor through the app's own API, as the dashboard does; returns what the user was shown. */
export async function enrolTotp(t: TestApp, who: { agent: TestAgent; csrfToken: string }): Promise<{ secret: string; recoveryCodes: string[] | null }> {
  const begun = await who.agent.post('/mfa/totp').set('Accept', 'application/json').set('X-CSRF-Token', who.csrfToken).expect(200);
  const secret = begun.body.secret as string;
  const confirmed = await who.agent.post('/mfa/totp/confirm').set('Accept', 'application/json').set('X-CSRF-Token', who.csrfToken).send({ code: codeAt(secret, t.clock) }).expect(201);
  return { secret, recoveryCodes: confirmed.body.recoveryCodes as string[] | null };
}

export interface PasswordStep {
  agent: TestAgent;
  /** Where the right password led (the second step, or the enrol step). */
  location: string;
  /** The half-signed-in session's cookie. */
  cookie: string;
  /** The second step's form token (the session's CSRF token). */
  csrf: string;
}

/** Gives the right password and follows to the second step; fails when no second step was asked for. */
export async function passwordStep(t: TestApp, username = 'demo', password = 'demo-password', extraFields: Record<string, string> = {}): Promise<PasswordStep> {
  const agent = request.agent(t.app);
  const form = await agent.get('/login').expect(200);
  const login = await agent.post('/login').type('form').send({ ...extraFields, username, password, _csrf: extractFormCsrf(form.text) });
  if (login.status !== 303 || !String(login.headers.location).startsWith('/login/')) throw new Error(`expected a second step, got ${login.status} to ${login.headers.location}`);
  const page = await agent.get(login.headers.location as string).expect(200);
  return { agent, location: login.headers.location as string, cookie: sessionCookie(login.headers['set-cookie'], t.config.session.cookieName), csrf: extractFormCsrf(page.text) };
}

/** Posts a TOTP code (or a recovery code) in the second step. */
export function giveCode(step: PasswordStep, code: string, kind: 'totp' | 'recovery' = 'totp') {
  return step.agent.post(`/login/second-factor/${kind}`).type('form').send({ code, _csrf: step.csrf });
}

/** A form post by a signed-in user (admin pages). */
export function postForm(who: SignedIn, path: string, form: Record<string, string | string[]> = {}) {
  return who.agent.post(path).type('form').send({ ...form, _csrf: who.csrfToken });
}
