import * as z from 'zod';

/**
 * The envelope of a direct service-to-service Lambda invocation. It carries the original
 * caller's identity (so the callee can re-check scopes) and the correlation and trace headers
 * (so one request can be followed across services). Versioned so that envelopes can evolve.
 */
export const INTERNAL_REQUEST_TYPE = 'serverless-msa.internal-request.v1';

export const CallerIdentitySchema = z.object({
  sub: z.string().min(1).max(256),
  clientId: z.string().min(1).max(256),
  scopes: z.array(z.string().min(1).max(256)).max(100),
});
export type CallerIdentity = z.infer<typeof CallerIdentitySchema>;

export const InternalRequestSchema = z.object({
  type: z.literal(INTERNAL_REQUEST_TYPE),
  /** The logical service that makes the call. */
  source: z.string().min(1).max(128),
  operation: z.string().min(1).max(128),
  correlationId: z.string().min(1).max(128),
  traceHeader: z.string().max(512).optional(),
  /** The end user or client on whose behalf the call is made; absent when there is none. */
  caller: CallerIdentitySchema.optional(),
  payload: z.unknown(),
});
export type InternalRequest = z.infer<typeof InternalRequestSchema>;

export const InternalResponseSchema = z.object({
  status: z.number().int().min(100).max(599),
  payload: z.unknown().optional(),
  problem: z
    .object({ title: z.string(), status: z.number(), detail: z.string().optional() })
    .loose()
    .optional(),
});
export type InternalResponse = z.infer<typeof InternalResponseSchema>;

/** True when a Lambda event is an internal invocation rather than a gateway request. */
export function looksLikeInternalRequest(event: unknown): boolean {
  return (
    typeof event === 'object' &&
    event !== null &&
    (event as { type?: unknown }).type === INTERNAL_REQUEST_TYPE
  );
}
