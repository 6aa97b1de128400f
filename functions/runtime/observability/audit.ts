import { AUDIT_MARKER, AUDIT_RESULTS, type AuditResult } from '../contract/audit';
import { PLATFORM_ENV } from '../contract/environment';

/** One audited action: who did what to which target, and how it ended. */
export interface AuditEntry {
  /** What was done, dotted: `token.issue`, `admin.circuit.forceOpen`, `client.register`. */
  readonly action: string;
  readonly result: AuditResult;
  /** What it was done to: a circuit, a service, a client ID. */
  readonly target?: string;
  /** Who did it: the token's subject and client. */
  readonly actor?: { readonly sub?: string; readonly clientId?: string };
  /** Why it was refused or failed: a code, never the caller's input. */
  readonly reason?: string;
  readonly requestId?: string;
  readonly correlationId?: string;
  /**
   * A few facts about the action (scopes granted, a key ID, a state). Strings, numbers, booleans
   * and string lists only; a key that names a secret is redacted, and so is any value that looks
   * like a token.
   */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface AuditTrailOptions {
  /** @default - POWERTOOLS_SERVICE_NAME */
  readonly service?: string;
  /** Where a record line goes. @default - the function's stdout */
  readonly write?: (line: string) => void;
  /** @default - the system clock */
  readonly now?: () => Date;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface AuditTrail {
  /** Writes one audit record, whatever the log level: a record is never filtered out. */
  record(entry: AuditEntry): void;
}

/** Detail keys whose values are never written (matched anywhere in the key, any case). */
const SECRET_KEY =
  /secret|password|passwd|token|authorization|assertion|credential|private|cookie|api[-_]?key/i;
/** A JWT or JWS in compact form (three base64url parts, a JSON header). */
const TOKEN_LIKE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/;
const ACTION = /^[a-z][A-Za-z0-9_.:-]{0,127}$/;
const MAX_CHARS = 256;
const MAX_DETAILS = 20;
const REDACTED = '[redacted]';

/**
 * The audit trail of a function. A record is one JSON line marked `log_type: "audit"` on the
 * function's output: on AWS its log group's subscription hands it to the log shipper, which
 * copies it into the platform's audit log group (longer retention) and indexes it into
 * `audit-<platform>-*`; locally the same shipper indexes it into the local OpenSearch. Written
 * at once (no buffer to lose if the invocation dies) and only with the fields below.
 */
export function createAuditTrail(options: AuditTrailOptions = {}): AuditTrail {
  const env = options.env ?? process.env;
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const service = options.service ?? env[PLATFORM_ENV.powertoolsServiceName] ?? 'unknown';
  return {
    record(entry: AuditEntry): void {
      write(JSON.stringify(auditRecord(entry, { service, timestamp: now(), env })));
    },
  };
}

/** The line an entry becomes; throws on an action name or result the contract does not allow. */
export function auditRecord(
  entry: AuditEntry,
  context: {
    service: string;
    timestamp: Date;
    env?: Readonly<Record<string, string | undefined>>;
  },
): Record<string, unknown> {
  if (!ACTION.test(entry.action)) {
    throw new TypeError(`Audit action must match ${String(ACTION)}; got '${entry.action}'`);
  }
  if (!(AUDIT_RESULTS as readonly string[]).includes(entry.result)) {
    throw new TypeError(`Audit result must be one of ${AUDIT_RESULTS.join(', ')}`);
  }
  const env = context.env ?? {};
  const line: Record<string, unknown> = {
    [AUDIT_MARKER.key]: AUDIT_MARKER.value,
    level: 'INFO',
    timestamp: context.timestamp.toISOString(),
    service: context.service,
    action: entry.action,
    result: entry.result,
    message: `audit ${entry.action} ${entry.result}`,
  };
  const optional: Record<string, string | undefined> = {
    target: entry.target,
    reason: entry.reason,
    sub: entry.actor?.sub,
    client_id: entry.actor?.clientId,
    request_id: entry.requestId,
    correlation_id: entry.correlationId,
    xray_trace_id: traceRoot(env._X_AMZN_TRACE_ID),
    function_name: env.AWS_LAMBDA_FUNCTION_NAME,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (typeof value === 'string' && value !== '') line[key] = safeString(value);
  }
  const details = safeDetails(entry.details);
  if (details) line.details = details;
  return line;
}

function safeDetails(
  details: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> | undefined {
  if (!details) return undefined;
  const kept: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  let count = 0;
  for (const [key, value] of Object.entries(details)) {
    if (count >= MAX_DETAILS) break;
    const name = key.slice(0, 64);
    if (SECRET_KEY.test(name)) {
      kept[name] = REDACTED;
    } else if (typeof value === 'string') {
      kept[name] = safeString(value);
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      kept[name] = value;
    } else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
      kept[name] = value.slice(0, MAX_DETAILS).map((item: string) => safeString(item));
    } else {
      continue;
    }
    count++;
  }
  return count > 0 ? { ...kept } : undefined;
}

/** Clipped, without control characters, and never a token. */
function safeString(value: string): string {
  if (TOKEN_LIKE.test(value)) return REDACTED;
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return clean.length > MAX_CHARS ? `${clean.slice(0, MAX_CHARS)}…` : clean;
}

/** `Root=1-…;Parent=…;Sampled=1` → `1-…`. */
function traceRoot(header: string | undefined): string | undefined {
  return header ? /Root=([^;]+)/.exec(header)?.[1] : undefined;
}

let defaultTrail: AuditTrail | undefined;

/** Writes one audit record through the function's default trail (its service, its stdout). */
export function audit(entry: AuditEntry): void {
  defaultTrail ??= createAuditTrail();
  defaultTrail.record(entry);
}
