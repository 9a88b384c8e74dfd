/**
 * Rewrites links in JSON answers: Fortellis answers carry `href`s to the API host (`links.self.href`,
 * `vehicleHref`...), which a browser cannot call; through the proxy they become `/api/fortellis/...`.
 *
 * Only a JSON string value that *starts* with the API base URL, followed by `/`, `?`, `#` or the string's
 * end, is rewritten: exact prefix match on bytes, so `https://api.fortellis.io.evil.com`,
 * `https://api.fortellis.io@evil.com` or a `\u002e` escape after the host are left alone. Both spellings JSON
 * allows for the slashes are recognised (`https://...` and `https:\/\/...`). It works on bytes, never
 * parses the JSON, and can run on a stream split anywhere (what it cannot decide yet, at most a URL's
 * length, it holds back until the next chunk).
 */

const QUOTE = 0x22; // "
const SLASH = 0x2f; // /
const BACKSLASH = 0x5c; // \
const QUESTION = 0x3f; // ?
const HASH = 0x23; // #

export interface StreamingLinkRewriter {
  /** The rewritten bytes that can be given out now (possibly empty). */
  push(chunk: Buffer): Buffer;
  /** What was held back, at the end of the body. */
  end(): Buffer;
}

export interface LinkRewriter {
  /** Rewrites a whole body; returns the very same buffer when there is nothing to rewrite. */
  rewrite(body: Buffer): Buffer;
  /** A rewriter for one body that arrives in chunks. */
  stream(): StreamingLinkRewriter;
}

interface Needle {
  /** `"` followed by the base URL in this spelling. */
  bytes: Buffer;
  /** For the escaped spelling, a slash after the base is the two bytes `\/`. */
  escaped: boolean;
}

/** A rewriter from `apiBaseUrl` (no trailing slash) to `proxyPath` (e.g. `/api/fortellis`). */
export function createLinkRewriter(apiBaseUrl: string, proxyPath: string): LinkRewriter {
  const needles: Needle[] = [
    { bytes: Buffer.from(`"${apiBaseUrl}`), escaped: false },
    { bytes: Buffer.from(`"${apiBaseUrl.replaceAll('/', '\\/')}`), escaped: true },
  ];
  const replacement = Buffer.from(`"${proxyPath}`);
  // The longest sequence that must be seen whole to decide: the escaped needle and `\/`.
  const longest = needles[1]!.bytes.length + 2;

  /**
   * Rewrites `data`; when `final` is false, stops before the first place that needs more bytes to decide
   * and returns the rest as `held`.
   */
  function run(data: Buffer, final: boolean): { out: Buffer; held: Buffer } {
    let pieces: Buffer[] | undefined;
    let emitted = 0;
    let held = data.length;
    // Candidate starts, in order: every occurrence of either needle, then (streaming) quotes near the end
    // that could begin a needle cut off by the chunk boundary.
    for (const start of candidates(data, final)) {
      if (start < emitted) continue;
      const decision = decide(data, start, final);
      if (decision === 'undecided') {
        held = start;
        break;
      }
      if (decision === 'no') continue;
      (pieces ??= []).push(data.subarray(emitted, start), replacement);
      emitted = start + decision;
    }
    if (!pieces) return { out: held === data.length ? data : data.subarray(0, held), held: data.subarray(held) };
    pieces.push(data.subarray(emitted, held));
    return { out: Buffer.concat(pieces), held: data.subarray(held) };
  }

  function candidates(data: Buffer, final: boolean): number[] {
    const found: number[] = [];
    for (const needle of needles) {
      for (let at = data.indexOf(needle.bytes); at !== -1; at = data.indexOf(needle.bytes, at + 1)) found.push(at);
    }
    if (!final) {
      // A needle cut by the end of this chunk: a quote whose remainder is a prefix of a needle.
      for (let at = data.indexOf(QUOTE, Math.max(0, data.length - longest)); at !== -1; at = data.indexOf(QUOTE, at + 1)) {
        if (data.length - at < needles[1]!.bytes.length && needles.some((n) => startsWithPart(n.bytes, data, at))) found.push(at);
      }
    }
    // Usually zero or a handful: sorting costs nothing next to the search.
    return found.length > 1 ? found.sort((a, b) => a - b) : found;
  }

  /** The length of the needle to replace at `start`, 'no', or 'undecided' (needs more bytes). */
  function decide(data: Buffer, start: number, final: boolean): number | 'no' | 'undecided' {
    for (const needle of needles) {
      const end = start + needle.bytes.length;
      if (end > data.length) {
        if (!final && startsWithPart(needle.bytes, data, start)) return 'undecided';
        continue;
      }
      if (data.compare(needle.bytes, 0, needle.bytes.length, start, end) !== 0) continue;
      if (end === data.length) return final ? 'no' : 'undecided';
      const next = data[end];
      if (next === QUOTE || next === QUESTION || next === HASH) return needle.bytes.length;
      if (!needle.escaped && next === SLASH) return needle.bytes.length;
      if (needle.escaped && next === BACKSLASH) {
        if (end + 1 === data.length) return final ? 'no' : 'undecided';
        if (data[end + 1] === SLASH) return needle.bytes.length;
      }
      return 'no';
    }
    return 'no';
  }

  return {
    rewrite(body) {
      return run(body, true).out;
    },
    stream() {
      let held: Buffer | undefined;
      return {
        push(chunk) {
          const data = held && held.length > 0 ? Buffer.concat([held, chunk]) : chunk;
          const result = run(data, false);
          held = result.held;
          return result.out;
        },
        end() {
          const rest = held && held.length > 0 ? run(held, true).out : Buffer.alloc(0);
          held = undefined;
          return rest;
        },
      };
    },
  };
}

/** True when data[at..] (cut short by the end of data) equals the start of `needle`. */
function startsWithPart(needle: Buffer, data: Buffer, at: number): boolean {
  const length = Math.min(needle.length, data.length - at);
  return data.compare(needle, 0, length, at, at + length) === 0;
}
