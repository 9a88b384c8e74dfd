import type { Kysely } from 'kysely';
import type { Clock } from '../../lib/clock';
import type { Database } from '../../db/schema';
import { roleSchema, type Role } from '../users';

/** Who must have a second factor: everyone, or the users of some roles. Stored in the `settings` table. */
export interface MfaPolicy {
  everyone: boolean;
  roles: Role[];
}

const SETTING = 'mfa.policy';
const ROLES: readonly Role[] = roleSchema.options;

/** Nobody is forced until an admin says so: turning it on is a decision about users' devices. */
export const DEFAULT_POLICY: MfaPolicy = { everyone: false, roles: [] };

/** Whether the policy requires a second factor of a user with this role. */
export function policyRequires(policy: MfaPolicy, role: Role): boolean {
  return policy.everyone || policy.roles.includes(role);
}

/** The MFA policy setting, read from the database at each sign-in (an admin's change applies at once). */
export class MfaPolicyStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async get(): Promise<MfaPolicy> {
    const row = await this.db.selectFrom('settings').select('value').where('name', '=', SETTING).executeTakeFirst();
    if (!row) return DEFAULT_POLICY;
    const stored = JSON.parse(row.value) as Partial<MfaPolicy>;
    return { everyone: stored.everyone === true, roles: ROLES.filter((role) => stored.roles?.includes(role)) };
  }

  async set(policy: MfaPolicy): Promise<void> {
    const value = JSON.stringify({ everyone: policy.everyone, roles: ROLES.filter((role) => policy.roles.includes(role)) });
    const now = this.clock.now();
    await this.db
      .insertInto('settings')
      .values({ name: SETTING, value, updated_at: now })
      .onConflict((oc) => oc.column('name').doUpdateSet({ value, updated_at: now }))
      .execute();
  }
}
