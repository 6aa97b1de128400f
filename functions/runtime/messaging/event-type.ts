import * as z from 'zod';
import { EVENT_TYPE_PATTERN } from '../contract/messaging';
import { CallerIdentitySchema } from '../service/internal-request';

/**
 * One kind of event: its name (EventBridge's `detail-type`) and the schema of its data. The
 * publisher validates against it before sending, the consumer after receiving: a consumer never
 * acts on data its schema refuses, whoever put it on the bus.
 */
export interface EventType<T> {
  readonly name: string;
  readonly schema: z.ZodType<T>;
}

export function defineEvent<S extends z.ZodType>(name: string, schema: S): EventType<z.infer<S>> {
  if (!EVENT_TYPE_PATTERN.test(name)) {
    throw new Error(`Event type must be PascalCase letters and digits (at most 64); got '${name}'`);
  }
  return { name, schema: schema as z.ZodType<z.infer<S>> };
}

/**
 * What every event carries beside its data: its ID (the idempotency key), the correlation ID and
 * trace header of the request that caused it, and the original caller on whose behalf it was
 * published, so a consumer logs, traces and authorizes as a direct call would.
 */
export const EventMetadataSchema = z.object({
  eventId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/),
  eventType: z.string().regex(EVENT_TYPE_PATTERN),
  /** The publishing service's logical name. */
  publishedBy: z.string().min(1).max(128),
  publishedAt: z.iso.datetime(),
  correlationId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/),
  traceHeader: z.string().max(512).optional(),
  caller: CallerIdentitySchema.optional(),
});
export type EventMetadata = z.infer<typeof EventMetadataSchema>;

/** EventBridge's `detail`: metadata and data, the data validated by its event type's schema. */
export const EventDetailSchema = z.object({
  metadata: EventMetadataSchema,
  data: z.unknown(),
});
export type EventDetail = z.infer<typeof EventDetailSchema>;

/** An EventBridge event as a rule delivers it to an SQS queue (the message body). */
export const BusEventSchema = z.object({
  id: z.string().min(1),
  'detail-type': z.string().min(1).max(128),
  source: z.string().min(1).max(256),
  time: z.string(),
  detail: z.unknown(),
});

/** The event failed its schema: on publish nothing was sent; on consume the message fails. */
export class EventValidationError extends Error {
  constructor(
    readonly eventType: string,
    readonly issues: readonly { readonly path: string; readonly message: string }[],
  ) {
    super(
      `${eventType} does not match its schema: ${issues
        .slice(0, 5)
        .map((issue) => `${issue.path || '/'} ${issue.message}`)
        .join('; ')}`,
    );
    this.name = 'EventValidationError';
  }
}

/** Validates data against an event type's schema; issues name paths, never echo values. */
export function validateEventData<T>(type: EventType<T>, data: unknown): T {
  const result = type.schema.safeParse(data);
  if (result.success) return result.data;
  throw new EventValidationError(
    type.name,
    result.error.issues.map((issue) => ({
      path: `/${issue.path.map(String).join('/')}`,
      message: issue.message,
    })),
  );
}
