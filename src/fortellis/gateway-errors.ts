/**
 * Fortellis gateway error codes and what they mean for the people involved. The codes come from the
 * Fortellis documentation; the HTTP statuses and body shape are not documented, so a code is recognised
 * wherever it appears in an error body (`code`, `errorCode`, or the leading word of `message`).
 */

export type Party = 'app' | 'user' | 'dealer' | 'fortellis' | 'api-provider';

export interface GatewayErrorInfo {
  /** Who has to act. */
  party: Party;
  /** Plain words for the person reading the error. */
  explanation: string;
  /** True when the token is no longer good and a fresh one may succeed. */
  tokenProblem?: boolean;
}

export const GATEWAY_ERRORS = {
  'API-DOES-NOT-EXIST': { party: 'app', explanation: 'Fortellis has no API at this path. Check the path and the API version.' },
  'UNAUTHORIZED-API-ACCESS': {
    party: 'dealer',
    explanation: "The dealer's subscription does not include this API. The dealer must add it to their subscription of this app.",
  },
  'TOKEN-EXPIRED': { party: 'app', explanation: 'The access token expired. The app gets a new one and tries again.', tokenProblem: true },
  'TOKEN-ISSUER-MISMATCH': {
    party: 'app',
    explanation: 'The access token was issued by a different identity server than this API expects. Check FORTELLIS_ISSUER.',
  },
  'TOKEN-AUDIENCE-MISMATCH': { party: 'app', explanation: 'The access token is not meant for this API. Check the scope and the identity server.' },
  'INVALID-TOKEN': { party: 'app', explanation: 'Fortellis did not accept the access token. The app gets a new one and tries again.', tokenProblem: true },
  'QUOTA-EXCEEDED': { party: 'app', explanation: "The app has used up its call quota for this API. Wait and try again later." },
  'MISSING-AUTHORIZATION': { party: 'app', explanation: 'The request reached Fortellis without an access token.' },
  'MISSING-SUBSCRIPTION-ID': { party: 'app', explanation: 'The request reached Fortellis without a Subscription-Id.' },
  'API-SUBSCRIPTION-INACTIVE': {
    party: 'dealer',
    explanation: "The dealer's subscription to this app is not active. Pick another store, or ask the dealer to reactivate the subscription.",
  },
  'SUBSCRIPTION-MISMATCH': {
    party: 'user',
    explanation: 'Fortellis does not know this Subscription-Id for this app. An administrator must link your account to a valid subscription.',
  },
  'SUBSCRIBER-CONFIGURATION-PENDING': {
    party: 'dealer',
    explanation: "The dealer has not finished setting up this subscription. Try again once the dealer's configuration is complete.",
  },
  'API-CONFIGURATION-ERROR': { party: 'api-provider', explanation: 'The API provider has a configuration problem. Try again later or contact Fortellis support.' },
  'ROUTING-ERROR': { party: 'fortellis', explanation: 'Fortellis could not route the request. Try again later.' },
  'PROCESSING-ERROR': { party: 'fortellis', explanation: 'Fortellis failed while processing the request. Try again later.' },
  'TARGET-SYSTEM-UNREACHABLE': { party: 'dealer', explanation: "Fortellis could not reach the dealer's system. Try again later." },
  'TARGET-SYSTEM-TIMED-OUT': { party: 'dealer', explanation: "The dealer's system did not answer in time. Try again later." },
  'TARGET-RESPONSE': { party: 'api-provider', explanation: "The dealer's system answered with an error." },
  'PAYLOAD-TOO-BIG': { party: 'user', explanation: 'The request or response is larger than Fortellis allows.' },
} as const satisfies Record<string, GatewayErrorInfo>;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

function isGatewayCode(value: string): value is GatewayErrorCode {
  return Object.prototype.hasOwnProperty.call(GATEWAY_ERRORS, value);
}

/** A code as a whole field value, or as the leading word of a message such as "TOKEN-EXPIRED: ...". */
function codeIn(value: unknown): GatewayErrorCode | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (isGatewayCode(trimmed)) return trimmed;
  const leading = /^([A-Z]+(?:-[A-Z]+)+)\b/.exec(trimmed)?.[1];
  return leading && isGatewayCode(leading) ? leading : undefined;
}

/**
 * Finds the Fortellis gateway code in a parsed error body, looking at the fields Fortellis has been seen
 * to use. Returns undefined when the body names none (then it is the API's own error).
 */
export function findGatewayCode(body: unknown): GatewayErrorCode | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const fields = body as Record<string, unknown>;
  return codeIn(fields.code) ?? codeIn(fields.errorCode) ?? codeIn(fields.message) ?? codeIn(fields.errorSummary);
}

export function describeGatewayCode(code: GatewayErrorCode): GatewayErrorInfo {
  return GATEWAY_ERRORS[code];
}
