import { describeGatewayCode, findGatewayCode, GATEWAY_ERRORS } from '../../src/fortellis/gateway-errors';

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

describe('describeGatewayCode', () => {
  it('explains every documented code in plain words and names who must act', () => {
    for (const code of Object.keys(GATEWAY_ERRORS) as Array<keyof typeof GATEWAY_ERRORS>) {
      const info = describeGatewayCode(code);
      expect(info.explanation.length).toBeGreaterThan(20);
      expect(['app', 'user', 'dealer', 'fortellis', 'api-provider']).toContain(info.party);
    }
    expect(Object.keys(GATEWAY_ERRORS)).toHaveLength(19);
  });

  it('marks only the token problems as worth one retry with a fresh token', () => {
    const retryable = Object.entries(GATEWAY_ERRORS).filter(([, info]) => 'tokenProblem' in info && info.tokenProblem).map(([code]) => code);
    expect(retryable.sort()).toEqual(['INVALID-TOKEN', 'TOKEN-EXPIRED']);
  });
});
