/**
 * What a function's bundle is made of, from esbuild's metafile: the bytes each package (or each
 * folder of this repository's own source) leaves in the minified output, largest first. The
 * bundle-size bench prints it and the bundle-size test names it when a function outgrows its limit.
 */
import type { Metafile } from 'esbuild';

export interface BundleContributor {
  /** An npm package (`@scope/name`, `name`), or a source folder (`functions/runtime/http`). */
  readonly name: string;
  /** Bytes its files leave in the output. */
  readonly bytes: number;
}

/** Every contributor to the metafile's one output, largest first (ties by name). */
export function bundleContributors(metafile: Metafile): BundleContributor[] {
  const outputs = Object.values(metafile.outputs).filter((output) => output.entryPoint);
  if (outputs.length !== 1) {
    throw new Error(`Expected one bundled entry in the metafile, found ${outputs.length}`);
  }
  const bytes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(outputs[0].inputs)) {
    if (bytesInOutput === 0) continue;
    const name = contributorOf(input);
    bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
  }
  return [...bytes]
    .map(([name, count]) => ({ name, bytes: count }))
    .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
}

/** The contributors as one line: `zod 90.1 KB, jose 19.0 KB, …`. */
export function formatContributors(contributors: readonly BundleContributor[]): string {
  return contributors
    .map(({ name, bytes }) => `${name} ${(bytes / 1024).toFixed(1)} KB`)
    .join(', ');
}

/** The package a file belongs to (the innermost node_modules wins), else its source folder. */
function contributorOf(input: string): string {
  const parts = input.split('/');
  const modules = parts.lastIndexOf('node_modules');
  if (modules >= 0) {
    const scoped = parts[modules + 1]?.startsWith('@');
    return parts.slice(modules + 1, modules + (scoped ? 3 : 2)).join('/');
  }
  return parts.length > 1 ? parts.slice(0, -1).join('/') : input;
}
