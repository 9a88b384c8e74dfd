import { describeGatewayCode, findGatewayCode, GATEWAY_ERRORS, type Party } from '../../src/fortellis/gateway-errors';
import { GATEWAY_ERROR_CODES as SIMULATOR_CODES } from '../../src/simulator/gateway-errors';

describe('findGatewayCode', () => {
  it('finds the code in a Fortellis {code, message} body where message starts with it', () => {
    expect(findGatewayCode({ code: 401, message: 'TOKEN-EXPIRED: The access token has expired.' })).toBe('TOKEN-EXPIRED');
  });

  it('finds the code when it is the code field itself', () => {
    expect(findGatewayCode({ code: 'API-SUBSCRIPTION-INACTIVE', message: 'Subscription inactive' })).toBe('API-SUBSCRIPTION-INACTIVE');
  });

  it('finds the code in an errorCode field', () => {
    expect(findGatewayCode({ errorCode: 'QUOTA-EXCEEDED' })).toBe('QUOTA-EXCEEDED');
  });

  it('finds nothing in an API’s own error', () => {
    expect(findGatewayCode({ code: 404, message: 'Appointment 42 was not found' })).toBeUndefined();
  });

  it('does not mistake a code mentioned in the middle of a sentence for the answer’s code', () => {
    expect(findGatewayCode({ message: 'Unlike INVALID-TOKEN, this is fine' })).toBeUndefined();
  });

  it('ignores unknown codes and bodies that are not objects', () => {
    expect(findGatewayCode({ code: 'NOT-A-FORTELLIS-CODE' })).toBeUndefined();
    expect(findGatewayCode('TOKEN-EXPIRED')).toBeUndefined();
    expect(findGatewayCode(null)).toBeUndefined();
    expect(findGatewayCode(['TOKEN-EXPIRED'])).toBeUndefined();
  });
});

/**
 * Fortellis' error-code table (https://docs.fortellis.io/docs/general/making-calls/fortellis-error-codes/):
 * each code, its "Fault" column, and who the "Action Required" column says must act, in the words the
 * explanation must use.
 */
const DOCS_TABLE: Array<[code: keyof typeof GATEWAY_ERRORS, fault: Party, actor: RegExp]> = [
  ['API-DOES-NOT-EXIST', 'app-developer', /app's developer must correct the path/],
  ['UNAUTHORIZED-API-ACCESS', 'app-developer', /app's developer must add the API to the app/],
  ['TOKEN-EXPIRED', 'app-developer', /app gets a new token/],
  ['TOKEN-ISSUER-MISMATCH', 'app-developer', /must get tokens from the Fortellis authorization server/],
  ['TOKEN-AUDIENCE-MISMATCH', 'app-developer', /must request its tokens from the Fortellis authorization server/],
  ['INVALID-TOKEN', 'app-developer', /app gets a new token/],
  ['QUOTA-EXCEEDED', 'app-developer', /app's developer must ask Fortellis for a larger quota/],
  ['MISSING-AUTHORIZATION', 'app-developer', /fault in the app/],
  ['MISSING-SUBSCRIPTION-ID', 'app-developer', /fault in the app/],
  ['API-SUBSCRIPTION-INACTIVE', 'api-developer', /API's developer must approve it/],
  ['SUBSCRIPTION-MISMATCH', 'app-developer', /link your account to a store that subscribed to this API|fix the app's API key/],
  ['SUBSCRIBER-CONFIGURATION-PENDING', 'api-developer', /API developer has configured the store/],
  ['API-CONFIGURATION-ERROR', 'api-developer', /API's developer must fix it/],
  ['ROUTING-ERROR', 'fortellis', /Fortellis Support must correct the subscription/],
  ['PROCESSING-ERROR', 'fortellis', /contact Fortellis Support/],
  ['TARGET-SYSTEM-UNREACHABLE', 'api-developer', /API's developer must fix it/],
  ['TARGET-SYSTEM-TIMED-OUT', 'api-developer', /API's developer must look into it/],
  ['TARGET-RESPONSE', 'api-developer', /API's developer must fix it in the API server/],
  ['PAYLOAD-TOO-BIG', 'api-developer', /API's developer must switch the API to streaming/],
];

/** Every explanation ends by telling a user of the app what they can do now. */
const USER_ACTION = /Tell your administrator|[Tt]ry again later|pick another store|An administrator must|Ask for less/;

describe('describeGatewayCode', () => {
  it('knows exactly the codes of the docs’ table, the same the simulator answers with', () => {
    expect(Object.keys(GATEWAY_ERRORS).sort()).toEqual(DOCS_TABLE.map(([code]) => code).sort());
    expect([...SIMULATOR_CODES].sort()).toEqual(DOCS_TABLE.map(([code]) => code).sort());
  });

  it.each(DOCS_TABLE)('%s: the fault is the %s’s, as in the docs, and the message says who acts and what the user can do', (code, fault, actor) => {
    const info = describeGatewayCode(code);
    expect(info.party).toBe(fault);
    expect(info.explanation).toMatch(actor);
    expect(info.explanation).toMatch(USER_ACTION);
  });

  it('marks only the token problems as worth one retry with a fresh token', () => {
    const retryable = Object.entries(GATEWAY_ERRORS).filter(([, info]) => 'tokenProblem' in info && info.tokenProblem).map(([code]) => code);
    expect(retryable.sort()).toEqual(['INVALID-TOKEN', 'TOKEN-EXPIRED']);
  });
});
