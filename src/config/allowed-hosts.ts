/**
 * The host names the app answers to (ALLOWED_HOSTS with PUBLIC_URL's), worked out with the configuration:
 * the Host check of the web layer (src/web/host-check.ts) only compares a request's name against them.
 */

const LOCAL_NAMES = ['localhost', '127.0.0.1', '[::1]', '::1'];

/** The names a request may use: PUBLIC_URL's, the extra ones configured, and loopback names when asked. */
export function allowedHostNames(options: { publicUrl: string; extra: string[]; allowLocal: boolean }): string[] {
  const names = new Set([new URL(options.publicUrl).hostname.toLowerCase(), ...options.extra.map((name) => name.toLowerCase())]);
  if (options.allowLocal) for (const name of LOCAL_NAMES) names.add(name);
  return [...names];
}

/** Parses ALLOWED_HOSTS: a comma list of host names (no scheme, no port, no path). */
export function parseAllowedHosts(value: string): string[] {
  const names = value.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
  const bad = names.filter((name) => !/^([a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(name));
  if (bad.length > 0) throw new Error(`must be a comma list of host names without scheme or port (not ${bad.map((name) => JSON.stringify(name)).join(', ')})`);
  return names;
}
