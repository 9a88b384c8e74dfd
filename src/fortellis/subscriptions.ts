import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import type { Clock } from '../lib/clock';
import { AppError } from '../http/errors';
import { TokenEndpointError } from './token-client';
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

export class SubscriptionsClient {
  private readonly contexts = new Map<string, { value: SubscriptionContext | null; until: number }>();
  private list: { value: Subscription[]; until: number } | undefined;
  private readonly cacheMs: number;

  constructor(private readonly options: SubscriptionsClientOptions) {
    this.cacheMs = options.cacheMs ?? 60_000;
  }

  /** Every subscription of this app (active and inactive). Throws an AppError when Fortellis fails. */
  async listSubscriptions(): Promise<Subscription[]> {
    const now = this.options.clock.now();
    if (this.list && now < this.list.until) return this.list.value;
    const data = await this.get('/v1/solution/subscriptions', (status) => status === 200);
    const parsed = subscriptionListSchema.safeParse(data);
    if (!parsed.success) throw unavailable(`subscriptions list did not parse: ${parsed.error.issues[0]?.message}`);
    this.list = { value: parsed.data.subscriptions, until: now + this.cacheMs };
    return parsed.data.subscriptions;
  }

  /** One subscription of this app, or undefined when Fortellis does not list it. */
  async findSubscription(subscriptionId: string): Promise<Subscription | undefined> {
    return (await this.listSubscriptions()).find((s) => s.subscriptionId === subscriptionId);
  }

  /** The dealer behind a subscription, or null when Fortellis does not know it. Throws when Fortellis fails. */
  async getContext(subscriptionId: string): Promise<SubscriptionContext | null> {
    const now = this.options.clock.now();
    const cached = this.contexts.get(subscriptionId);
    if (cached && now < cached.until) return cached.value;
    const data = await this.get(`/subscriptions/${encodeURIComponent(subscriptionId)}/context`, (status) => status === 200 || status === 404);
    let value: SubscriptionContext | null = null;
    if (data !== NOT_FOUND) {
      const parsed = contextSchema.safeParse(data);
      if (!parsed.success) throw unavailable(`subscription context did not parse: ${parsed.error.issues[0]?.message}`);
      value = parsed.data;
    }
    // Bounded: the keys come from users' links, but a cache must never grow without end.
    if (this.contexts.size >= 1000) this.contexts.clear();
    this.contexts.set(subscriptionId, { value, until: now + this.cacheMs });
    return value;
  }

  /** Forget cached answers (an admin asked for fresh data). */
  refresh(): void {
    this.list = undefined;
    this.contexts.clear();
  }

  private async get(path: string, expected: (status: number) => boolean): Promise<unknown> {
    const token = await this.options.tokens.getToken();
    let response;
    try {
      response = await this.options.http.get(`${this.options.baseUrl}${path}`, {
        headers: { Authorization: `Bearer ${token.value}`, Accept: 'application/json' },
        timeout: this.options.timeoutMs,
        validateStatus: () => true,
      });
    } catch (error) {
      if (error instanceof TokenEndpointError) throw error;
      // The axios error is not kept as the cause: it holds the request's Bearer token.
      throw unavailable(`subscriptions request failed: ${(error as { code?: string }).code ?? 'network error'}`);
    }
    if (!expected(response.status)) throw unavailable(`GET ${path} answered HTTP ${response.status}`);
    return response.status === 404 ? NOT_FOUND : response.data;
  }
}

const NOT_FOUND = Symbol('not found');
