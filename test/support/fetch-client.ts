import { extractFormCsrf } from './test-app';

/** Minimal cookie-carrying HTTP for talking to separate processes (no redirects followed). */
export async function fetchPage(url: string, init: { method?: string; cookie?: string; form?: Record<string, string> } = {}) {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    redirect: 'manual',
    headers: { ...(init.cookie ? { Cookie: init.cookie } : {}), ...(init.form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}) },
    body: init.form ? new URLSearchParams(init.form).toString() : undefined,
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** `name=value` of the cookie `name` the answer set. */
export const cookieOf = (headers: Headers, name: string) =>
  headers
    .getSetCookie()
    .find((c) => c.startsWith(`${name}=`))!
    .split(';', 1)[0]!;

/** Signs in as the demo user (with `password`) on the app at `url`; resolves with the session cookie (`fbff.sid=…`). */
export async function signInOver(url: string, password = 'demo-password'): Promise<string> {
  const form = await fetchPage(`${url}/login`);
  const login = await fetchPage(`${url}/login`, {
    method: 'POST',
    cookie: cookieOf(form.headers, 'fbff.login'),
    form: { username: 'demo', password, _csrf: extractFormCsrf(form.text) },
  });
  if (login.status !== 303) throw new Error(`sign-in on ${url} answered ${login.status}`);
  return cookieOf(login.headers, 'fbff.sid');
}
