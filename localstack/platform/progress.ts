/** One finished start-up phase of the local platform. */
export interface StartupPhase {
  readonly phase: string;
  readonly durationMs: number;
  /** What the phase produced, in a few words (e.g. `12 resources`). */
  readonly detail?: string;
}

export type ProgressListener = (phase: StartupPhase) => void;

/**
 * Runs one start-up phase and reports its duration to `listener` when it ends. A failing phase
 * reports nothing: its error says what went wrong.
 */
export async function phase<T>(
  listener: ProgressListener | undefined,
  name: string,
  run: () => Promise<T> | T,
  detail?: (result: T) => string | undefined,
  now: () => number = () => performance.now(),
): Promise<T> {
  const started = now();
  const result = await run();
  listener?.({ phase: name, durationMs: now() - started, detail: detail?.(result) });
  return result;
}

/** Width of the phase column, so durations line up. */
const PHASE_COLUMN = 15;

/** `synth           12.3 s  1 stack`: the line `npm start` prints when a phase ends. */
export function formatPhaseLine({ phase: name, durationMs, detail }: StartupPhase): string {
  const seconds = `${(durationMs / 1000).toFixed(1)} s`;
  return `${name.padEnd(PHASE_COLUMN)}${seconds.padStart(7)}${detail ? `  ${detail}` : ''}`;
}

/** Prints one line per finished phase (function log lines may come between them). */
export function consoleProgress(
  stream: Pick<NodeJS.WritableStream, 'write'> = process.stdout,
): ProgressListener {
  return (finished) => {
    stream.write(`${formatPhaseLine(finished)}\n`);
  };
}
