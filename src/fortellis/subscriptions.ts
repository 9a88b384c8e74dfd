import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import type { Clock } from '../lib/clock';
import type { TokenProvider } from './token-provider';

/**
 * Fortellis' subscriptions API (FORTELLIS.md, "Subscriptions"), authorised with the app's own
 * client-credentials token and no Subscription-Id. Answers are cached briefly: dealer names change rarely
 * and every dashboard view would otherwise cost a Fortellis call.
 */

const contextSchema = z.object({
  organizationInfo: z.object({
    id: z.string().optional(),
    name: z.string(),
    address: z.unknown().optional(),
    countryCode: z.string().optional(),
    phoneNumber: z.string().optional(),
  }),
  appInfo: z.object({ id: z.string().optional(), name: z.string().optional() }).passthrough().optional(),
});

export type SubscriptionContext = z.infer<typeof contextSchema>;

export interface SubscriptionsClientOptions {
  http: AxiosInstance;
  baseUrl: string;
  tokens: TokenProvider;
  clock: Clock;
  timeoutMs: number;
  cacheMs?: number;
}

export class SubscriptionsClient {
  private readonly contexts = new Map<string, { value: SubscriptionContext | null; until: number }>();

  constructor(private readonly options: SubscriptionsClientOptions) {}

  /** The dealer behind a subscription, or null when Fortellis does not know it. Throws when Fortellis fails. */
  async getContext(subscriptionId: string): Promise<SubscriptionContext | null> {
    const now = this.options.clock.now();
    const cached = this.contexts.get(subscriptionId);
    if (cached && now < cached.until) return cached.value;

    const token = await this.options.tokens.getToken();
    const response = await this.options.http.get(`${this.options.baseUrl}/subscriptions/${encodeURIComponent(subscriptionId)}/context`, {
      headers: { Authorization: `Bearer ${token.value}`, Accept: 'application/json' },
      timeout: this.options.timeoutMs,
      validateStatus: () => true,
    });
    let value: SubscriptionContext | null;
    if (response.status === 404) value = null;
    else if (response.status === 200) value = contextSchema.parse(response.data);
    else throw new Error(`subscription context answered HTTP ${response.status}`);
    this.contexts.set(subscriptionId, { value, until: now + (this.options.cacheMs ?? 5 * 60_000) });
    return value;
  }
}
