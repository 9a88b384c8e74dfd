import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../lib/clock';
import type { Database } from '../../db/schema';

export type FactorKind = 'totp' | 'passkey';

/** A second factor as pages and APIs may show it: no secret, no key. */
export interface FactorSummary {
  id: string;
  kind: FactorKind;
  label: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface StoredTotp {
  id: string;
  sealedSecret: string;
  lastTimeStep: number | null;
}

export interface StoredPasskey {
  id: string;
  credentialId: string;
  publicKey: Uint8Array;
  signCount: number;
  transports: string[];
}

/** SHA-256 of a normalised recovery code: codes carry 50+ random bits, so no slow hash is needed. */
export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(normaliseRecoveryCode(code)).digest('hex');
}

/** Spaces, dashes and case do not matter when a recovery code is typed in. */
export function normaliseRecoveryCode(code: string): string {
  return code.replace(/[\s-]/g, '').toLowerCase();
}

/** The users' second factors and recovery codes, in the database. */
export class MfaFactors {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async list(userId: string): Promise<FactorSummary[]> {
    const rows = await this.db
      .selectFrom('mfa_factors')
      .select(['id', 'kind', 'label', 'created_at', 'last_used_at'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({ id: r.id, kind: r.kind, label: r.label, createdAt: Number(r.created_at), lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at) }));
  }

  async count(userId: string): Promise<number> {
    const row = await this.db.selectFrom('mfa_factors').select((eb) => eb.fn.countAll<number | string>().as('n')).where('user_id', '=', userId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async addTotp(userId: string, label: string, sealedSecret: string, acceptedTimeStep: number): Promise<string> {
    const id = randomUUID();
    const now = this.clock.now();
    await this.db
      .insertInto('mfa_factors')
      .values({ id, user_id: userId, kind: 'totp', label, secret: sealedSecret, last_time_step: acceptedTimeStep, created_at: now, last_used_at: now })
      .execute();
    return id;
  }

  async addPasskey(userId: string, label: string, passkey: Omit<StoredPasskey, 'id'>): Promise<string> {
    const id = randomUUID();
    await this.db
      .insertInto('mfa_factors')
      .values({
        id,
        user_id: userId,
        kind: 'passkey',
        label,
        credential_id: passkey.credentialId,
        public_key: Buffer.from(passkey.publicKey).toString('base64url'),
        sign_count: passkey.signCount,
        transports: passkey.transports.join(','),
        created_at: this.clock.now(),
      })
      .execute();
    return id;
  }

  async totps(userId: string): Promise<StoredTotp[]> {
    const rows = await this.db.selectFrom('mfa_factors').select(['id', 'secret', 'last_time_step']).where('user_id', '=', userId).where('kind', '=', 'totp').execute();
    return rows.map((r) => ({ id: r.id, sealedSecret: r.secret ?? '', lastTimeStep: r.last_time_step === null ? null : Number(r.last_time_step) }));
  }

  async passkeys(userId: string): Promise<StoredPasskey[]> {
    const rows = await this.db
      .selectFrom('mfa_factors')
      .select(['id', 'credential_id', 'public_key', 'sign_count', 'transports'])
      .where('user_id', '=', userId)
      .where('kind', '=', 'passkey')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      credentialId: r.credential_id ?? '',
      publicKey: new Uint8Array(Buffer.from(r.public_key ?? '', 'base64url')),
      signCount: Number(r.sign_count ?? 0),
      transports: r.transports ? r.transports.split(',') : [],
    }));
  }

  /**
   * Records that a TOTP code of `timeStep` was accepted, only if no code of that step or a later one was
   * accepted before: one conditional UPDATE, so two requests racing with the same code cannot both win.
   * Returns false when the step was already used (a replay).
   */
  async acceptTimeStep(factorId: string, timeStep: number): Promise<boolean> {
    const result = await this.db
      .updateTable('mfa_factors')
      .set({ last_time_step: timeStep, last_used_at: this.clock.now() })
      .where('id', '=', factorId)
      .where((eb) => eb.or([eb('last_time_step', 'is', null), eb('last_time_step', '<', timeStep)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async passkeyUsed(factorId: string, signCount: number): Promise<void> {
    await this.db.updateTable('mfa_factors').set({ sign_count: signCount, last_used_at: this.clock.now() }).where('id', '=', factorId).execute();
  }

  /** Removes one of the user's factors; false when the user has no such factor. */
  async remove(userId: string, factorId: string): Promise<boolean> {
    const result = await this.db.deleteFrom('mfa_factors').where('id', '=', factorId).where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** Removes every factor and recovery code of a user (an admin's reset). Returns how many factors went. */
  async removeAll(userId: string): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
      const result = await trx.deleteFrom('mfa_factors').where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  /** Replaces the user's recovery codes with these (hashed here; the codes themselves are not kept). */
  async replaceRecoveryCodes(userId: string, codes: readonly string[]): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
      await trx
        .insertInto('mfa_recovery_codes')
        .values(codes.map((code) => ({ user_id: userId, code_hash: hashRecoveryCode(code), created_at: now })))
        .execute();
    });
  }

  /** Uses up a recovery code: true once per code (the DELETE decides, so two racing uses cannot both pass). */
  async consumeRecoveryCode(userId: string, code: string): Promise<boolean> {
    const result = await this.db.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).where('code_hash', '=', hashRecoveryCode(code)).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async recoveryCodesLeft(userId: string): Promise<number> {
    const row = await this.db.selectFrom('mfa_recovery_codes').select((eb) => eb.fn.countAll<number | string>().as('n')).where('user_id', '=', userId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
