/**
 * Fortellis hosts an API's environments as path namespaces on the same API host: a CDK API lives at
 * `/cdk/<api>` in Production and at `/cdk-test/<api>` in the Test environment, and an app switches by
 * calling the other path (or by putting the namespace in its API base URL). The Test environment answers
 * only the test Subscription-Ids the API developer handed out.
 * https://docs.fortellis.io/docs/general/making-calls/testing-environments/ and
 * https://docs.fortellis.io/docs/tutorials/api-lifecycle/api-environments/
 *
 * The simulator serves every API at its bare path and under `/cdk` (Production, any active subscription,
 * the `test` sample-data one included) and under `/cdk-test` (Test: only subscriptions whose environment
 * is `test`).
 */

export type SubscriptionEnvironment = 'production' | 'test';

export interface ApiNamespace {
  /** Path prefix below the API host, '' for the bare paths. */
  prefix: '' | `/${string}`;
  /** Subscriptions this namespace accepts: `any` for Production, or only those of one environment. */
  environment: SubscriptionEnvironment | 'any';
}

export const TEST_NAMESPACE = '/cdk-test';
export const PRODUCTION_NAMESPACE = '/cdk';

/** Most specific first: `/cdk-test` must not be taken for `/cdk` (express matches whole segments anyway). */
export const API_NAMESPACES: readonly ApiNamespace[] = [
  { prefix: TEST_NAMESPACE, environment: 'test' },
  { prefix: PRODUCTION_NAMESPACE, environment: 'any' },
  { prefix: '', environment: 'any' },
];
