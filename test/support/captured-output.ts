import { afterEach, beforeEach } from 'vitest';

/** One structured line Powertools wrote (a log entry or an EMF metric document). */
export type JsonLine = Record<string, unknown>;

/** What `interceptOutput` collected, and how to put the real streams back. */
export interface Interception {
  /** Every chunk written, in order (and, with `console: true`, every console call, one per entry). */
  lines: string[];
  restore: () => void;
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;

/**
 * Swaps `process.stdout.write` and `process.stderr.write` (and, with `console: true`, the
 * console methods) for a recorder until `restore()` is called. Nothing reaches the terminal.
 */
export function interceptOutput(options: { console?: boolean } = {}): Interception {
  const lines: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const record = (chunk: unknown) => {
    lines.push(
      typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'),
    );
    return true;
  };
  process.stdout.write = record as typeof process.stdout.write;
  process.stderr.write = record as typeof process.stderr.write;
  const originals = options.console
    ? Object.fromEntries(CONSOLE_METHODS.map((name) => [name, console[name]]))
    : {};
  if (options.console) {
    for (const name of CONSOLE_METHODS) {
      console[name] = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
    }
  }
  return {
    lines,
    restore: () => {
      process.stdout.write = out;
      process.stderr.write = err;
      Object.assign(console, originals);
    },
  };
}

/** The output of the running test, as text and as the JSON lines Powertools writes. */
export interface CapturedOutput {
  /** Everything written to stdout/stderr, joined. */
  text: () => string;
  /** Every line that is a JSON object (Powertools writes one object per line). */
  jsonLines: () => JsonLine[];
  /** The log entries among the JSON lines (they carry a `level`). */
  logLines: () => JsonLine[];
  /** The EMF metric documents among the JSON lines (they carry `_aws`). */
  metricLines: () => JsonLine[];
}

/**
 * Captures stdout/stderr afresh for every test of the enclosing scope: registers a
 * `beforeEach` that starts the capture and an `afterEach` that restores the streams. Call it
 * once at the top level of a test file (or inside a `describe`).
 */
export function captureOutput(): CapturedOutput {
  let current: Interception | undefined;
  beforeEach(() => {
    current = interceptOutput();
  });
  afterEach(() => {
    current?.restore();
  });
  const text = () => (current?.lines ?? []).join('');
  const jsonLines = (): JsonLine[] =>
    text()
      .split('\n')
      .filter((line) => line.trim().startsWith('{'))
      .map((line) => JSON.parse(line) as JsonLine);
  return {
    text,
    jsonLines,
    logLines: () => jsonLines().filter((line) => 'level' in line),
    metricLines: () => jsonLines().filter((line) => '_aws' in line),
  };
}
