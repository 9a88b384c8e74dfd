/**
 * Fortellis gateway error codes and what they mean for the people involved. The codes, who is at fault and
 * who must act come from Fortellis' error-code table ("Error Details", "Fault", "Action Required"):
 * https://docs.fortellis.io/docs/general/making-calls/fortellis-error-codes/
 * The HTTP statuses and body shape are not documented, so a code is recognised wherever it appears in an
 * error body (`code`, `errorCode`, or the leading word of `message`).
 */

/**
 * Who must act, as the docs' "Fault" column names them: the developer of this app (for a user of the app:
 * its administrator), the developer of the API called, or Fortellis itself.
 */
export type Party = 'app-developer' | 'api-developer' | 'fortellis';

export interface GatewayErrorInfo {
  /** Who has to act (the docs' "Fault"). */
  party: Party;
  /**
   * Plain words for the person reading the error: what happened (the docs' "Error Details"), who must act
   * and what the reader can do now (the docs' "Action Required", said to a user of this app).
   */
  explanation: string;
  /** True when the token is no longer good and a fresh one may succeed. */
  tokenProblem?: boolean;
}

/** Said when only the app's developer can fix it: a user of the app reaches them through its administrator. */
const TELL_ADMIN = 'Tell your administrator, who can pass it on.';

export const GATEWAY_ERRORS = {
  'API-DOES-NOT-EXIST': {
    party: 'app-developer',
    explanation: `Fortellis has no API at this path. The app's developer must correct the path or the API version. ${TELL_ADMIN}`,
  },
  'UNAUTHORIZED-API-ACCESS': {
    party: 'app-developer',
    explanation: `This app has not been given access to this API. The app's developer must add the API to the app in the Fortellis developer account. ${TELL_ADMIN}`,
  },
  'TOKEN-EXPIRED': {
    party: 'app-developer',
    explanation: `The app's access token has expired. The app gets a new token and tries again; if you still see this, the app is not renewing its tokens. ${TELL_ADMIN}`,
    tokenProblem: true,
  },
  'TOKEN-ISSUER-MISMATCH': {
    party: 'app-developer',
    explanation: `The app's access token comes from another authorization server than Fortellis'. The app's operator must get tokens from the Fortellis authorization server (FORTELLIS_ISSUER). ${TELL_ADMIN}`,
  },
  'TOKEN-AUDIENCE-MISMATCH': {
    party: 'app-developer',
    explanation: `The app's access token has the wrong audience. The app's operator must request its tokens from the Fortellis authorization server (FORTELLIS_ISSUER, FORTELLIS_SCOPE). ${TELL_ADMIN}`,
  },
  'INVALID-TOKEN': {
    party: 'app-developer',
    explanation: `Fortellis did not accept the app's access token as a valid JSON Web Token. The app gets a new token and tries again; if you still see this, check the app's Fortellis settings. ${TELL_ADMIN}`,
    tokenProblem: true,
  },
  'QUOTA-EXCEEDED': {
    party: 'app-developer',
    explanation: `The app has made as many calls to this API as its quota allows. Try again later; the app's developer must ask Fortellis for a larger quota. ${TELL_ADMIN}`,
  },
  'MISSING-AUTHORIZATION': {
    party: 'app-developer',
    explanation: `The call reached Fortellis without an access token: a fault in the app. ${TELL_ADMIN}`,
  },
  'MISSING-SUBSCRIPTION-ID': {
    party: 'app-developer',
    explanation: `The call reached Fortellis without a Subscription-Id: a fault in the app, or your account has no store linked. ${TELL_ADMIN}`,
  },
  'API-SUBSCRIPTION-INACTIVE': {
    party: 'api-developer',
    explanation:
      "This store's subscription is not active for this API: the API's developer must approve it first. Nothing you can do here but wait, or pick another store; the app's administrator can ask the API developer to approve the activation.",
  },
  'SUBSCRIPTION-MISMATCH': {
    party: 'app-developer',
    explanation: `This Subscription-Id is not subscribed to this API, or the app called with another app's credentials. An administrator must link your account to a store that subscribed to this API, or fix the app's API key and secret.`,
  },
  'SUBSCRIBER-CONFIGURATION-PENDING': {
    party: 'api-developer',
    explanation:
      "The API's developer has not yet set this store's subscription-specific values. Nothing you can do here: try again later, once the API developer has configured the store; the app's administrator can ask them to.",
  },
  'API-CONFIGURATION-ERROR': {
    party: 'api-developer',
    explanation: "The API's custom authorization is misconfigured, so Fortellis cannot get the credentials it needs. The API's developer must fix it; try again later.",
  },
  'ROUTING-ERROR': {
    party: 'fortellis',
    explanation: 'Fortellis cannot tell which system should handle this call (the subscription has no active target). Fortellis Support must correct the subscription; try again later.',
  },
  'PROCESSING-ERROR': {
    party: 'fortellis',
    explanation: 'Fortellis hit an error and could not process the call. Try again later; if it persists, the app’s administrator should contact Fortellis Support.',
  },
  'TARGET-SYSTEM-UNREACHABLE': {
    party: 'api-developer',
    explanation: "The API's server is not accepting calls right now. The API's developer must fix it; try again later.",
  },
  'TARGET-SYSTEM-TIMED-OUT': {
    party: 'api-developer',
    explanation: "The API's server did not answer in time. The API's developer must look into it; try again later.",
  },
  'TARGET-RESPONSE': {
    party: 'api-developer',
    explanation: "The API's server answered with an error, which Fortellis passed on. The API's developer must fix it in the API server; try again later.",
  },
  'PAYLOAD-TOO-BIG': {
    party: 'api-developer',
    explanation:
      "The request or the answer is larger than Fortellis can carry. Ask for less at once (a smaller page); the API's developer must switch the API to streaming with Fortellis Support.",
  },
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
