import request from 'supertest';
import {
  SIMULATOR_DEFAULT_CLIENT_ID,
  SIMULATOR_DEFAULT_CLIENT_SECRET,
  basicAuthorizationHeader,
  startSimulator,
  type RunningSimulator,
  type SimulatorOptions,
} from '../../../src/simulator';
import { FakeClock } from '../../support/fake-clock';

/** The redirect URI the integration tests register for the implicit flow. */
export const TEST_REDIRECT_URI = 'http://localhost:3000/implicit/';

export interface SimulatorHarness {
  running: RunningSimulator;
  clock: FakeClock;
  /** supertest against the listening simulator's root (identity, subscriptions, controls; real HTTP over loopback). */
  http: () => ReturnType<typeof request>;
  /** supertest against the simulated API host (`{url}/apis`): paths as an app names them, e.g. `/service/v3/...`. */
  api: () => ReturnType<typeof request>;
  /** A fresh client-credentials access token. */
  token: () => Promise<string>;
  /** Headers of an authorised API call for `subscriptionId`. */
  apiHeaders: (token: string, subscriptionId?: string) => Record<string, string>;
}

/** Starts a simulator on an ephemeral loopback port with a fake clock. */
export async function startHarness(options: Partial<SimulatorOptions> = {}): Promise<SimulatorHarness> {
  const clock = new FakeClock();
  const running = await startSimulator({
    port: 0,
    clientId: SIMULATOR_DEFAULT_CLIENT_ID,
    clientSecret: SIMULATOR_DEFAULT_CLIENT_SECRET,
    clock,
    implicitRedirectUris: [TEST_REDIRECT_URI],
    ...options,
  });
  const http = () => request(running.url);
  const api = () => request(running.apiBaseUrl);
  const token = async () => {
    const response = await http()
      .post('/oauth2/aus-simulator/v1/token')
      .set('Authorization', basicAuthorizationHeader(options.clientId ?? SIMULATOR_DEFAULT_CLIENT_ID, options.clientSecret ?? SIMULATOR_DEFAULT_CLIENT_SECRET))
      .type('form')
      .send({ grant_type: 'client_credentials', scope: 'anonymous' });
    if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${response.text}`);
    return response.body.access_token as string;
  };
  const apiHeaders = (accessToken: string, subscriptionId = 'test') => ({
    Authorization: `Bearer ${accessToken}`,
    'Subscription-Id': subscriptionId,
    Accept: 'application/json',
  });
  return { running, clock, http, api, token, apiHeaders };
}
