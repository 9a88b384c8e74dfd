import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../lib/clock';
import { GATEWAY_ERROR_CODES, isGatewayErrorCode } from './gateway-errors';
import { describeIssues } from './validation';

/**
 * Faults make the token endpoint or the APIs fail, slow down or drop the connection, so the app's
 * retry, timeout and error-explanation paths can be tested and demonstrated. This module holds the
 * validated fault list; `fault-middleware.ts` applies them to requests.
 */

export type FaultTarget = 'token' | 'api';

/** Longest delay a fault may ask for: two minutes is past any sensible client timeout. */
export const MAX_FAULT_DELAY_MS = 120_000;

const OAUTH_ERROR_CODE = /^[a-z_]{1,64}$/;

/** What `POST /__simulator/faults` and `Simulator.addFault` accept. */
export const faultInputSchema = z
  .object({
    target: z.enum(['token', 'api']),
    /** HTTP status to answer with; 0 means drop the connection without an answer. */
    status: z
      .number()
      .int()
      .refine((status) => status === 0 || (status >= 200 && status <= 599), {
        message: 'status must be 0 (drop the connection) or an HTTP status from 200 to 599',
      })
      .optional(),
    code: z.string().min(1).max(64).optional(),
    delayMs: z.number().int().min(0).max(MAX_FAULT_DELAY_MS).optional(),
    /** How many matching requests the fault applies to; unlimited when absent. */
    count: z.number().int().min(1).optional(),
    pathPrefix: z.string().startsWith('/', { message: 'pathPrefix must start with /' }).max(500).optional(),
    drop: z.boolean().optional(),
  })
  .strict()
  .superRefine((fault, ctx) => {
    if (fault.drop && fault.status !== undefined && fault.status !== 0) {
      ctx.addIssue({ code: 'custom', path: ['drop'], message: 'drop cannot be combined with an HTTP status' });
    }
    if (fault.drop && fault.code !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['drop'], message: 'drop cannot be combined with a code' });
    }
    if (fault.status === undefined && fault.code === undefined && fault.delayMs === undefined && !fault.drop) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'a fault needs at least one of status, code, delayMs or drop',
      });
    }
    if (fault.code === undefined) return;
    if (fault.target === 'api' && !isGatewayErrorCode(fault.code)) {
      ctx.addIssue({
        code: 'custom',
        path: ['code'],
        message: `code must be a Fortellis gateway code: ${GATEWAY_ERROR_CODES.join(', ')}`,
      });
    }
    if (fault.target === 'token' && !OAUTH_ERROR_CODE.test(fault.code)) {
      ctx.addIssue({
        code: 'custom',
        path: ['code'],
        message: 'code must be an OAuth error code such as invalid_client or temporarily_unavailable',
      });
    }
  });

export type FaultInput = z.input<typeof faultInputSchema>;

/** A stored fault. */
export interface Fault {
  id: string;
  target: FaultTarget;
  /** Answer with this status (absent: answer normally after the delay). */
  status?: number;
  code?: string;
  delayMs: number;
  /** Destroy the socket instead of answering. */
  drop: boolean;
  /** Requests it applies to in total, or null for unlimited. */
  count: number | null;
  /** Requests it still applies to, or null for unlimited. */
  remaining: number | null;
  pathPrefix?: string;
  createdAt: string;
}

/** Raised for fault input that does not validate; `message` lists every problem. */
export class FaultValidationError extends Error {
  override readonly name = 'FaultValidationError';
}

export class FaultStore {
  private faults: Fault[] = [];

  constructor(private readonly clock: Clock) {}

  /** Validates and stores a fault. Throws FaultValidationError for bad input. */
  add(input: unknown): Fault {
    const parsed = faultInputSchema.safeParse(input);
    if (!parsed.success) throw new FaultValidationError(`Invalid fault: ${describeIssues(parsed.error.issues)}`);
    const value = parsed.data;
    const drop = value.drop === true || value.status === 0;
    const fault: Fault = {
      id: randomUUID(),
      target: value.target,
      ...(value.status !== undefined && !drop ? { status: value.status } : {}),
      ...(value.code !== undefined ? { code: value.code } : {}),
      delayMs: value.delayMs ?? 0,
      drop,
      count: value.count ?? null,
      remaining: value.count ?? null,
      ...(value.pathPrefix !== undefined ? { pathPrefix: value.pathPrefix } : {}),
      createdAt: new Date(this.clock.now()).toISOString(),
    };
    this.faults.push(fault);
    return { ...fault };
  }

  list(): Fault[] {
    return this.faults.map((fault) => ({ ...fault }));
  }

  clear(): void {
    this.faults = [];
  }

  /**
   * The first fault (oldest first) for this target whose path prefix matches, used up by one; a fault
   * whose count runs out is removed.
   */
  take(target: FaultTarget, path: string): Fault | undefined {
    const index = this.faults.findIndex(
      (fault) => fault.target === target && (fault.pathPrefix === undefined || path.startsWith(fault.pathPrefix)),
    );
    if (index < 0) return undefined;
    const fault = this.faults[index];
    if (fault.remaining !== null) {
      fault.remaining -= 1;
      if (fault.remaining === 0) this.faults.splice(index, 1);
    }
    return { ...fault };
  }
}
