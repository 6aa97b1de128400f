// Removes the compiled output of the previous build (dist/lib, dist/functions, dist/localstack) so that a source
// file deleted since cannot ship from a stale dist/. The platform bundles are left in place: they
// are refreshed file by file (scripts/build-functions.ts), and synths running meanwhile read them.
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
for (const dir of ['lib', 'functions', 'localstack', 'scripts']) {
  rmSync(path.join(dist, dir), { recursive: true, force: true });
}
