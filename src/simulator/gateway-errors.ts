import type { Response } from 'express';

/**
 * Fortellis API-gateway error codes, with the HTTP status and explanation the simulator answers them
 * with. Fortellis documents the codes and their meaning but not their statuses or body shape; the
 * explanations follow the docs' "Error Details", the statuses follow FORTELLIS.md ("Gateway error codes"),
 * the body follows the `{code, message}` shape of Fortellis' API specs.
 * https://docs.fortellis.io/docs/general/making-calls/fortellis-error-codes/
 */
export const GATEWAY_ERRORS = {
  'MISSING-AUTHORIZATION': {
    status: 401,
    explanation: 'The request has no "Authorization: Bearer <access token>" header.',
  },
  'INVALID-TOKEN': { status: 401, explanation: 'The access token is not a valid JSON Web Token (malformed, or its signature does not verify).' },
  'TOKEN-EXPIRED': {
    status: 401,
    explanation: 'The access token has expired; get a new one from the token endpoint.',
  },
  'TOKEN-ISSUER-MISMATCH': { status: 401, explanation: 'The access token was issued by another authorization server.' },
  'TOKEN-AUDIENCE-MISMATCH': { status: 401, explanation: 'The access token has the wrong audience (Fortellis API tokens have "api_providers").' },
  'MISSING-SUBSCRIPTION-ID': { status: 400, explanation: 'The request has no Subscription-Id header.' },
  'SUBSCRIPTION-MISMATCH': { status: 403, explanation: 'The Subscription-Id is not associated with this API.' },
  'API-SUBSCRIPTION-INACTIVE': { status: 403, explanation: 'The subscription is not active for this API; the API developer must approve it.' },
  'UNAUTHORIZED-API-ACCESS': { status: 403, explanation: 'The app has not requested access to this API.' },
  'SUBSCRIBER-CONFIGURATION-PENDING': { status: 403, explanation: 'The API developer has not set the subscription-specific values for this subscription.' },
  'API-DOES-NOT-EXIST': { status: 404, explanation: 'No API is published at this path.' },
  'PAYLOAD-TOO-BIG': { status: 413, explanation: 'Fortellis cannot send a request or response of that size.' },
  'QUOTA-EXCEEDED': { status: 429, explanation: 'The app has made the maximum number of calls to this API allowed.' },
  'API-CONFIGURATION-ERROR': { status: 500, explanation: "The API's custom authorization is misconfigured." },
  'ROUTING-ERROR': { status: 500, explanation: 'Fortellis cannot determine the target system to process the request.' },
  'PROCESSING-ERROR': { status: 500, explanation: 'Fortellis cannot process the request.' },
  'TARGET-SYSTEM-UNREACHABLE': { status: 502, explanation: 'The API server is not accepting requests at this time.' },
  'TARGET-RESPONSE': { status: 502, explanation: 'The API server passed an error through Fortellis.' },
  'TARGET-SYSTEM-TIMED-OUT': { status: 504, explanation: 'The API server timed out before it could complete the request.' },
} as const satisfies Record<string, { status: number; explanation: string }>;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

export const GATEWAY_ERROR_CODES = Object.keys(GATEWAY_ERRORS) as GatewayErrorCode[];

/** True when `value` is one of the documented gateway error codes. */
export function isGatewayErrorCode(value: string): value is GatewayErrorCode {
  return Object.prototype.hasOwnProperty.call(GATEWAY_ERRORS, value);
}

/** The code a simulated failure with this status carries when the fault did not name one. */
const DEFAULT_CODE_BY_STATUS: Record<number, GatewayErrorCode> = {
  401: 'INVALID-TOKEN',
  403: 'UNAUTHORIZED-API-ACCESS',
  404: 'API-DOES-NOT-EXIST',
  413: 'PAYLOAD-TOO-BIG',
  429: 'QUOTA-EXCEEDED',
  500: 'PROCESSING-ERROR',
  502: 'TARGET-SYSTEM-UNREACHABLE',
  504: 'TARGET-SYSTEM-TIMED-OUT',
};

/** The gateway code Fortellis would most plausibly use for an error status, if any. */
export function defaultGatewayCodeFor(status: number): GatewayErrorCode | undefined {
  return DEFAULT_CODE_BY_STATUS[status];
}

/** Fortellis' error body: `{"code": <status>, "message": "..."}`. */
export interface ApiErrorBody {
  code: number;
  message: string;
}

/** Sends `{"code": status, "message": message}` as JSON. */
export function sendApiError(res: Response, status: number, message: string): void {
  const body: ApiErrorBody = { code: status, message };
  res.status(status).json(body);
}

/**
 * Sends a gateway error: `{"code": <status>, "message": "<CODE>: <explanation>"}`, with the status the
 * code maps to unless `status` overrides it (faults may pair any code with any status).
 */
export function sendGatewayError(
  res: Response,
  code: GatewayErrorCode,
  options: { status?: number; explanation?: string } = {},
): void {
  const entry = GATEWAY_ERRORS[code];
  sendApiError(res, options.status ?? entry.status, `${code}: ${options.explanation ?? entry.explanation}`);
}
