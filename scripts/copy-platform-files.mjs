// Copies what the local platform (serverless-msa start) reads at run time and tsc does not emit
// into dist/localstack, the same tree as the sources, so the compiled modules find them where
// the TypeScript ones do: the Lambda worker, the emulator's and the observability servers'
// set-up scripts with their inputs (never their built output: target/, .venv).
import { cpSync, existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const files = [
  'localstack/platform/lambda-worker.mjs',
  'localstack/emulator/setup.sh',
  'localstack/emulator/requirements.txt',
  ...readdirSync(path.join(root, 'localstack/observability'))
    .filter((name) => name.endsWith('.sh'))
    .map((name) => `localstack/observability/${name}`),
  'localstack/observability/opensearch/setup.sh',
  'localstack/observability/opensearch/pom.xml',
  'localstack/observability/opensearch/src',
  'localstack/observability/zipkin/setup.sh',
  'localstack/observability/zipkin/pom.xml',
];
for (const file of files) {
  const from = path.join(root, file);
  if (!existsSync(from)) throw new Error(`copy-platform-files: ${file} is missing`);
  cpSync(from, path.join(root, 'dist', file), { recursive: true });
}
