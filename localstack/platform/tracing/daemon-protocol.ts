import { isSegmentId } from './trace-header';
import type { SegmentDocument } from './segment-document';

/** The X-Ray daemon's UDP datagrams: a JSON header line, then one segment document. */
export const DAEMON_HEADER = { format: 'json', version: 1 } as const;

export type ParsedDatagram =
  | { readonly ok: true; readonly document: SegmentDocument }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads one datagram as the X-Ray daemon does: `{"format":"json","version":1}\n{...}`. Anything
 * else is refused with the reason; nothing in it is trusted beyond its shape.
 */
export function parseDaemonDatagram(datagram: Buffer | string): ParsedDatagram {
  const text = typeof datagram === 'string' ? datagram : datagram.toString('utf8');
  const newline = text.indexOf('\n');
  if (newline < 0) return { ok: false, reason: 'no header line' };
  const header = parseJson(text.slice(0, newline));
  if (
    !isObject(header) ||
    header.format !== DAEMON_HEADER.format ||
    header.version !== DAEMON_HEADER.version
  ) {
    return { ok: false, reason: 'header is not {"format":"json","version":1}' };
  }
  const body = parseJson(text.slice(newline + 1));
  if (!isObject(body)) return { ok: false, reason: 'body is not a JSON object' };
  const problem = documentProblem(body);
  return problem
    ? { ok: false, reason: problem }
    : { ok: true, document: body as unknown as SegmentDocument };
}

/** What makes a document unusable, or undefined when it can become a span. */
function documentProblem(document: Record<string, unknown>): string | undefined {
  if (typeof document.name !== 'string' || document.name.length === 0) return 'no name';
  if (!isSegmentId(document.id)) return 'id is not 16 hex digits';
  if (typeof document.start_time !== 'number' || !Number.isFinite(document.start_time))
    return 'no start_time';
  if (document.end_time !== undefined && typeof document.end_time !== 'number')
    return 'end_time is not a number';
  if (document.parent_id !== undefined && !isSegmentId(document.parent_id))
    return 'parent_id is not 16 hex digits';
  if (document.subsegments !== undefined) {
    if (!Array.isArray(document.subsegments)) return 'subsegments is not a list';
    for (const child of document.subsegments) {
      if (!isObject(child)) return 'a subsegment is not an object';
      const problem = documentProblem(child);
      if (problem) return `subsegment: ${problem}`;
    }
  }
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The datagram the X-Ray SDK sends for one document (used by tests and the platform's own segments). */
export function daemonDatagram(document: SegmentDocument): Buffer {
  return Buffer.from(`${JSON.stringify(DAEMON_HEADER)}\n${JSON.stringify(document)}`);
}
