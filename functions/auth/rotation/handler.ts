import type { Context, ScheduledEvent } from 'aws-lambda';
import * as z from 'zod';
import { keyStoreFromEnv, SIGNING_ALGORITHMS, type KeyStore } from '../../runtime/auth/key-store';
import { createPowertools, type Powertools } from '../../runtime/observability/powertools';
import { revokeKey, rotateKeys, type RotationPolicy, type RotationResult } from './rotate';

/**
 * Signing-key rotation. One handler, two triggers:
 * - an EventBridge schedule (`{ "source": "aws.events", "detail-type": "Scheduled Event", … }`)
 *   runs one normal rotation step;
 * - a direct invocation `{ "action": "rotate", "force"?: boolean }` rotates on demand (`force`
 *   promotes the next key even if it was published very recently, e.g. after a suspected key
 *   leak — verifiers will learn it through their unknown-`kid` refetch), and
 *   `{ "action": "status" }` reports the key set without changing it;
 * - `{ "action": "revoke", "kid": "…" }` removes one key at once, no grace (a leaked key): its
 *   private half is deleted, authorizers refuse its tokens within their key-set cache age.
 * An empty event `{}` (the deploy-time trigger) runs one rotation step too.
 * Run it with reserved concurrency 1: the key stores offer no compare-and-set.
 */
const OnDemandSchema = z.union([
  z.object({ action: z.literal('revoke'), kid: z.string().min(1).max(200) }),
  z.object({
    // An empty event (the deploy-time trigger that bootstraps the first keys) is a rotation step.
    action: z.enum(['rotate', 'status']).default('rotate'),
    force: z.boolean().optional(),
  }),
]);

export interface RotationHandlerDeps {
  readonly store: KeyStore;
  readonly policy: RotationPolicy;
  readonly powertools: Powertools;
  readonly clock?: () => Date;
}

export interface RotationSummary {
  readonly action: RotationResult['action'] | 'status';
  readonly changed: boolean;
  readonly removedKids: string[];
  readonly keys: {
    kid: string;
    alg: string;
    status: string;
    createdAt: string;
    publishUntil?: string;
  }[];
  readonly reason?: string;
}

export function createRotationHandler(deps: RotationHandlerDeps) {
  const { logger, metrics } = deps.powertools;
  const clock = deps.clock ?? (() => new Date());

  return async (event: unknown, context?: Context): Promise<RotationSummary> => {
    if (context) logger.addContext(context);
    try {
      const scheduled = isScheduled(event);
      const request = scheduled
        ? { action: 'rotate' as const, force: false }
        : OnDemandSchema.parse(event);
      const existing = await deps.store.load();
      if (request.action === 'status') {
        return {
          action: 'status',
          changed: false,
          removedKids: [],
          keys: describe(existing?.keys ?? []),
        };
      }
      const result =
        request.action === 'revoke'
          ? await revokeKey(existing, request.kid, clock(), deps.policy)
          : await rotateKeys(existing, clock(), deps.policy, { force: request.force });
      if (result.changed) await deps.store.save(result.document);
      logger.info('Signing keys rotation step', {
        trigger: scheduled ? 'schedule' : 'on-demand',
        action: result.action,
        removedKids: result.removedKids,
        reason: result.reason,
        keys: describe(result.document.keys),
      });
      metrics.addMetric(`KeyRotation_${result.action}`, 'Count', 1);
      return {
        action: result.action,
        changed: result.changed,
        removedKids: result.removedKids,
        keys: describe(result.document.keys),
        reason: result.reason,
      };
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}

function isScheduled(event: unknown): event is ScheduledEvent {
  const candidate = event as Partial<ScheduledEvent> | null;
  return (
    !!candidate &&
    candidate.source === 'aws.events' &&
    candidate['detail-type'] === 'Scheduled Event'
  );
}

function describe(
  keys: { kid: string; alg: string; status: string; createdAt: string; publishUntil?: string }[],
) {
  // Never the private JWK.
  return keys.map(({ kid, alg, status, createdAt, publishUntil }) => ({
    kid,
    alg,
    status,
    createdAt,
    publishUntil,
  }));
}

/** Policy from the environment; defaults match the token service and authorizer defaults. */
export function rotationPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): RotationPolicy {
  const algorithm = z.enum(SIGNING_ALGORITHMS).parse(env.SIGNING_ALGORITHM ?? 'ES256');
  const maxLifetime = positiveInt(env.ACCESS_TOKEN_TTL_SECONDS, 3600);
  const clockTolerance = positiveInt(env.CLOCK_TOLERANCE_SECONDS, 30);
  const signerCache = positiveInt(env.KEY_CACHE_SECONDS, 60);
  return {
    algorithm,
    retiredGraceSeconds: positiveInt(
      env.RETIRED_KEY_GRACE_SECONDS,
      maxLifetime + clockTolerance + signerCache,
    ),
    minNextAgeSeconds: positiveInt(env.MIN_NEXT_KEY_AGE_SECONDS, 900),
  };
}

function positiveInt(value: string | undefined, fallback: number): number {
  const parsed = value === undefined ? NaN : Number(value);
  return Number.isInteger(parsed) && parsed >= 0 ? parsed : fallback;
}

let cached: ReturnType<typeof createRotationHandler> | undefined;

export const handler = (event: unknown, context: Context): Promise<RotationSummary> => {
  cached ??= createRotationHandler({
    store: keyStoreFromEnv(),
    policy: rotationPolicyFromEnv(),
    powertools: createPowertools('key-rotation'),
  });
  return cached(event, context);
};
