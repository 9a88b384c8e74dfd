import axios from 'axios';
import { createLogger } from '../../src/lib/logger';
import { AppError } from '../../src/core/errors';
import { LogCapture } from '../support/log-capture';

describe('logger redaction', () => {
  it('never writes credentials, cookies, passwords or tokens', () => {
    const logs = new LogCapture();
    const logger = createLogger({ level: 'info', destination: logs });
    logger.info({
      req: { headers: { authorization: 'Bearer eyJ-secret-token', cookie: 'fbff.sid=s%3Asecret-session', 'x-csrf-token': 'csrf-secret' } },
      res: { headers: { 'set-cookie': 'fbff.sid=new-secret-session' } },
      password: 'hunter2-password',
      config: { apiSecret: 'the-api-secret', clientSecret: 'the-client-secret' },
      token: { access_token: 'eyJ-another-token' },
      accessToken: 'eyJ-third-token',
      body: { password: 'nested-password', client_secret: 'form-secret' },
    });
    const text = logs.text;
    for (const secret of ['eyJ-secret-token', 'secret-session', 'csrf-secret', 'hunter2', 'the-api-secret', 'the-client-secret', 'eyJ-another-token', 'eyJ-third-token', 'nested-password', 'form-secret']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
  });

  it('keeps the useful fields', () => {
    const logs = new LogCapture();
    createLogger({ level: 'info', destination: logs }).info({ requestId: 'r-1', status: 200 }, 'request');
    expect(logs.entries()[0]).toMatchObject({ requestId: 'r-1', status: 200, level: 'info', msg: 'request' });
  });
});

describe('logging errors', () => {
  it('keeps type, message, code and cause, but not what a library hung on the error (an axios config with its Authorization)', async () => {
    const axiosError = await axios
      .get('http://127.0.0.1:9/never', { headers: { Authorization: 'Basic c2VjcmV0LWtleTpzZWNyZXQtdmFsdWU=' }, timeout: 500 })
      .catch((e: unknown) => e);
    const logs = new LogCapture();
    createLogger({ level: 'info', destination: logs }).warn(
      { err: new AppError({ status: 503, code: 'x', title: 'X', logDetail: 'token request failed', cause: axiosError }) },
      'failed',
    );
    expect(logs.text).not.toContain('c2VjcmV0LWtleTpzZWNyZXQtdmFsdWU=');
    const [line] = logs.entries() as Array<{ err: Record<string, unknown> }>;
    expect(line!.err).toMatchObject({ type: 'AppError', code: 'x', status: 503, logDetail: 'token request failed', cause: { code: 'ECONNREFUSED' } });
  });
});
