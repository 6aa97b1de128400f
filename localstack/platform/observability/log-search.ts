/**
 * What `npm run logs` asks the local OpenSearch node: the query building and reading are the
 * runtime's (the admin API's log routes use the same), formatting and time parsing live here;
 * bin/logs.ts only reads arguments and prints.
 */
import {
  LogQueryError,
  type LogHit,
  type TopError,
} from '../../../functions/runtime/observability';

export {
  LogQueryError,
  logSearchBody,
  readLogHits,
  readTopErrors,
  topErrorsBody,
  type LogHit,
  type LogQuery,
  type TopError,
} from '../../../functions/runtime/observability';

/** Every platform's log indices (the shipper's daily `logs-<platform>-YYYY.MM.DD`). */
export const LOG_INDEX_PATTERN = 'logs-*';

/** `2026-12-02T16:07:17.696Z INFO  reading-list  c-123  Book added`. */
export function formatLogHit(hit: LogHit): string {
  const error = hit.error?.name
    ? `  [${hit.error.name}${hit.error.message ? `: ${hit.error.message}` : ''}]`
    : '';
  return [
    hit.timestamp,
    (hit.level ?? '-').padEnd(5),
    (hit.service ?? '-').padEnd(16),
    hit.correlationId ?? '-',
    `${oneLine(hit.message ?? '')}${error}`,
  ].join('  ');
}

/** `  12  2026-12-02T16:07:17Z  3f9a…  reading-list  TypeError: …`. */
export function formatTopError(error: TopError): string {
  return [
    String(error.count).padStart(6),
    error.lastSeen,
    error.fingerprint,
    error.services.join(',').padEnd(16),
    `${error.name ?? 'Error'}${error.message ? `: ${oneLine(error.message)}` : ''}`,
  ].join('  ');
}

/**
 * `15m`, `2h`, `7d` (ago, from `now`), or an ISO date/time → epoch ms. Anything else is refused.
 */
export function parseTime(value: string, now: number = Date.now()): number {
  const relative = /^(\d+)([smhd])$/.exec(value);
  if (relative) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
      relative[2] as 's' | 'm' | 'h' | 'd'
    ];
    return now - Number(relative[1]) * unit;
  }
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed)) return parsed;
  }
  throw new LogQueryError(
    `"${value}" is not a time: use 15m, 2h, 7d or an ISO date such as 2026-12-02T10:00:00Z`,
  );
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ↵ ');
}
