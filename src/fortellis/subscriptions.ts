import type { AxiosInstance } from 'axios';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { Clock } from '../lib/clock';
import { AppError } from '../core/errors';
import { describeGatewayCode, findGatewayCode } from './gateway-errors';
import type { TokenProvider } from './token-provider';

/**
 * Fortellis' subscriptions API (FORTELLIS.md, "Subscriptions"): which dealers subscribed to this app, and
 * who they are. Authorised with the app's own client-credentials token and no Subscription-Id. Answers are
 * cached briefly: they change rarely, and admin pages and dashboards would otherwise call Fortellis on
 * every view.
 */

const subscriptionSchema = z.object({
  subscriptionId: z.string(),
  orgId: z.string().optional(),
  orgName: z.string().default(''),
  status: z.string(),
  activationDate: z.string().optional().default(''),
  deactivationDate: z.string().optional().default(''),
  environment: z.string().optional().default(''),
});
const subscriptionListSchema = z.object({ subscriptions: z.array(subscriptionSchema) });

const organizationInfoSchema = z.object({
  id: z.string().optional(),
  name: z.string(),
  address: z.unknown().optional(),
  countryCode: z.string().optional(),
  phoneNumber: z.string().optional(),
});
const appInfoSchema = z
  .object({ id: z.string().optional(), name: z.string().optional(), developer: z.string().optional(), contactEmail: z.string().optional() })
  .passthrough();

/**
 * The context answer as the docs show it: `organizationInfo` and `appInfo`, and beside them `entityInfo`
 * and `solutionInfo`, the older names of the same two objects (Fortellis announced it would stop sending
 * those, so either pair may come alone). The organisation is required under one name or the other.
 * https://docs.fortellis.io/docs/tutorials/app-toolbox/using-the-subscriptions-endpoint/
 */
const contextSchema = z
  .object({
    organizationInfo: organizationInfoSchema.optional(),
    appInfo: appInfoSchema.optional(),
    entityInfo: organizationInfoSchema.optional(),
    solutionInfo: appInfoSchema.optional(),
  })
  .refine((context) => context.organizationInfo ?? context.entityInfo, { message: 'organizationInfo (or entityInfo) is required' })
  .transform((context) => ({
    ...context,
    organizationInfo: (context.organizationInfo ?? context.entityInfo)!,
    appInfo: context.appInfo ?? context.solutionInfo,
  }));

export type Subscription = z.infer<typeof subscriptionSchema>;
export type SubscriptionContext = z.output<typeof contextSchema>;

export interface SubscriptionsClientOptions {
  http: AxiosInstance;
  baseUrl: string;
  tokens: TokenProvider;
  clock: Clock;
  timeoutMs: number;
  cacheMs?: number;
  /** Contexts kept at most (least recently used go first); default 1000. */
  maxContexts?: number;
}

const unavailable = (logDetail: string, cause?: unknown) =>
  new AppError({
    status: 502,
    code: 'subscriptions-unavailable',
    title: 'Fortellis subscriptions unavailable',
    detail: 'Fortellis did not tell which dealers subscribed to this app. Try again in a moment.',
    logDetail,
    cause,
  });

/** An answer of the subscriptions API as it came: the request half's result, the process half's input. */
export interface SubscriptionsAnswer {
  status: number;
  data: unknown;
}

/**
 * The request half: one GET with the app's token, no Subscription-Id, an explicit timeout. Resolves with
 * any HTTP answer; rejects only when there was none.
 */
export async function requestSubscriptions(http: AxiosInstance, url: string, accessToken: string, timeoutMs: number): Promise<SubscriptionsAnswer> {
  try {
    const response = await http.get(url, { headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' }, timeout: timeoutMs, validateStatus: () => true });
    return { status: response.status, data: response.data };
  } catch (error) {
    // The axios error is not kept as the cause: it holds the request's Bearer token.
    throw unavailable(`subscriptions request failed: ${(error as { code?: string }).code ?? 'network error'}`);
  }
}

/** The token was refused (expired or revoked early, by the gateway's code): renew it and replay once. */
export function refusesToken(answer: SubscriptionsAnswer): boolean {
  if (answer.status !== 401 && answer.status !== 403) return false;
  const code = findGatewayCode(answer.data);
  return code !== undefined && describeGatewayCode(code).tokenProblem === true;
}

/** The process half of the list: the subscriptions, or a typed error. */
export function parseSubscriptionList(answer: SubscriptionsAnswer, path: string): Subscription[] {
  if (answer.status !== 200) throw unavailable(`GET ${path} answered HTTP ${answer.status}`);
  const parsed = subscriptionListSchema.safeParse(answer.data);
  if (!parsed.success) throw unavailable(`subscriptions list did not parse: ${parsed.error.issues[0]?.message}`);
  return parsed.data.subscriptions;
}

/** The process half of a context: the dealer, null when Fortellis does not know the subscription (404). */
export function parseSubscriptionContext(answer: SubscriptionsAnswer, path: string): SubscriptionContext | null {
  if (answer.status === 404) return null;
  if (answer.status !== 200) throw unavailable(`GET ${path} answered HTTP ${answer.status}`);
  const parsed = contextSchema.safeParse(answer.data);
  if (!parsed.success) throw unavailable(`subscription context did not parse: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

const LIST_KEY = 'list';

/**
 * The subscriptions client: cached answers (a minute by default, by the injected clock), one request in
 * flight per cache miss however many callers wait on it, and one renewal of the token and replay when the
 * gateway says the token was refused.
 *
 * The caches are least-recently-used with a bound (lru-cache, by the project's clock), so a burst of
 * lookups of many subscriptions drops the oldest entries rather than every entry at once, and an expired
 * entry is refreshed on its own.
 */
export class SubscriptionsClient {
  private readonly contexts: LRUCache<string, { value: SubscriptionContext | null }>;
  private readonly lists: LRUCache<string, Subscription[]>;
  private readonly inFlight = new Map<string, Promise<unknown>>();
  /** Bumped by refresh(): an answer to a request sent before it is not cached. */
  private generation = 0;

  constructor(private readonly options: SubscriptionsClientOptions) {
    const ttl = options.cacheMs ?? 60_000;
    const perf = { now: () => options.clock.now() };
    // ttlResolution 0: read the injected clock on every lookup (lru-cache otherwise reuses one reading for 1 ms of real time).
    this.contexts = new LRUCache({ max: options.maxContexts ?? 1000, ttl, perf, ttlResolution: 0 });
    this.lists = new LRUCache({ max: 1, ttl, perf, ttlResolution: 0 });
  }

  /** Every subscription of this app (active and inactive). Throws an AppError when Fortellis fails. */
  async listSubscriptions(): Promise<Subscription[]> {
    const cached = this.lists.get(LIST_KEY);
    if (cached) return cached;
    const path = '/v1/solution/subscriptions';
    return this.singleFlight(`list`, path, (answer) => parseSubscriptionList(answer, path), (value) => this.lists.set(LIST_KEY, value));
  }

  /** One subscription of this app, or undefined when Fortellis does not list it. */
  async findSubscription(subscriptionId: string): Promise<Subscription | undefined> {
    return (await this.listSubscriptions()).find((s) => s.subscriptionId === subscriptionId);
  }

  /** The dealer behind a subscription, or null when Fortellis does not know it. Throws when Fortellis fails. */
  async getContext(subscriptionId: string): Promise<SubscriptionContext | null> {
    const cached = this.contexts.get(subscriptionId);
    if (cached) return cached.value;
    const path = `/subscriptions/${encodeURIComponent(subscriptionId)}/context`;
    return this.singleFlight(`context:${subscriptionId}`, path, (answer) => parseSubscriptionContext(answer, path), (value) => this.contexts.set(subscriptionId, { value }));
  }

  /** Forget cached answers (an admin asked for fresh data). */
  refresh(): void {
    this.generation += 1;
    this.lists.clear();
    this.contexts.clear();
    this.inFlight.clear();
  }

  /** Callers of the same key share one request; its result is cached unless refresh() came meanwhile. */
  private singleFlight<T>(key: string, path: string, parse: (answer: SubscriptionsAnswer) => T, cache: (value: T) => void): Promise<T> {
    const pending = this.inFlight.get(key);
    if (pending) return pending as Promise<T>;
    const generation = this.generation;
    const request = this.fetch(path)
      .then((answer) => {
        const value = parse(answer);
        if (generation === this.generation) cache(value);
        return value;
      })
      .finally(() => {
        if (this.inFlight.get(key) === request) this.inFlight.delete(key);
      });
    this.inFlight.set(key, request);
    return request;
  }

  /** One GET, and one replay with a fresh token when the gateway refused the first. */
  private async fetch(path: string): Promise<SubscriptionsAnswer> {
    const url = `${this.options.baseUrl}${path}`;
    const { http, tokens, timeoutMs } = this.options;
    const token = await tokens.getToken();
    const answer = await requestSubscriptions(http, url, token.value, timeoutMs);
    if (!refusesToken(answer)) return answer;
    await tokens.invalidate(token.value);
    const fresh = await tokens.getToken();
    return requestSubscriptions(http, url, fresh.value, timeoutMs);
  }
}
