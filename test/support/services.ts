import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { closeRedis, connectRedis, type RedisClient } from '../../src/lib/redis';

/**
 * The real Redis and PostgreSQL of the machine, when REDIS_URL / DATABASE_URL point at them (`.ci/run`
 * sets both). Every suite gets its own key prefix or schema, so runs never meet; without the variables the
 * suites that need them are skipped, with the reason printed.
 */

export const REDIS_URL = process.env.REDIS_URL;
export const POSTGRES_URL = process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : undefined;

export const describeWithRedis: jest.Describe = REDIS_URL ? describe : skippedBecause('REDIS_URL is not set');
export const describeWithPostgres: jest.Describe = POSTGRES_URL ? describe : skippedBecause('DATABASE_URL does not point at PostgreSQL');
export const describeWithRedisAndPostgres: jest.Describe = !REDIS_URL
  ? describeWithRedis
  : describeWithPostgres;

function skippedBecause(reason: string): jest.Describe {
  const skip = ((name: string, fn: () => void) => {
    console.log(`Skipping "${name}": ${reason}.`);
    describe.skip(name, fn);
  }) as jest.Describe;
  return skip;
}

export function uniqueName(kind: string): string {
  return `fbff_test_${kind}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** A Redis client and a key prefix nobody else uses; cleanup deletes every key under it. */
export async function redisForTest(): Promise<{ client: RedisClient; prefix: string; cleanup(): Promise<void> }> {
  // A long command deadline: these suites test what the code does with Redis, not Redis' latency, and a
  // loaded 2-core machine can hold an answer past the 1 s default (the stall suites set their own).
  const client = await connectRedis({ url: REDIS_URL!, logger: { warn: () => undefined, info: () => undefined }, commandTimeoutMs: 15_000 });
  const prefix = `${uniqueName('redis')}:`;
  return {
    client,
    prefix,
    async cleanup() {
      const keys: string[] = [];
      for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...(batch as unknown as string[]));
      if (keys.length > 0) await client.del(keys);
      await closeRedis(client);
    },
  };
}

/** A fresh PostgreSQL schema; the URL selects it through the connection's search_path. */
export async function postgresSchemaForTest(): Promise<{ url: string; schema: string; drop(): Promise<void> }> {
  const schema = uniqueName('pg');
  const admin = new Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(POSTGRES_URL!);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    schema,
    async drop() {
      const client = new Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}
