import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cachedToolDir,
  LOCALSTACK_DIR,
  PACKAGE_ROOT,
  runtimeModulesDir,
  SOURCE_CHECKOUT,
  toolDir,
} from '../../../localstack/platform/package-paths';

const REPO = path.resolve(__dirname, '..', '..', '..');

describe('package paths', () => {
  it('finds this checkout from the sources: its root, its localstack folder, the AWS SDK', () => {
    expect(PACKAGE_ROOT).toBe(REPO);
    expect(LOCALSTACK_DIR).toBe(path.join(REPO, 'localstack'));
    expect(SOURCE_CHECKOUT).toBe(true);
    expect(runtimeModulesDir()).toBe(path.join(REPO, 'node_modules'));
  });

  it('keeps a tool where npm ci sets it up in a checkout', () => {
    const requirements = path.join(REPO, 'localstack', 'emulator', 'requirements.txt');
    expect(toolDir('emulator', 'localstack/emulator/.venv', [requirements])).toBe(
      path.join(REPO, 'localstack', 'emulator', '.venv'),
    );
  });

  it('names the per-user cache folder by the contents of what the build depends on', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'msa-paths-'));
    const input = path.join(dir, 'requirements.txt');
    writeFileSync(input, 'moto==1\n');
    const first = cachedToolDir('emulator', [input], { XDG_CACHE_HOME: '/cache' });
    expect(first).toMatch(/^\/cache\/serverless-msa\/emulator-[0-9a-f]{16}$/);
    expect(cachedToolDir('emulator', [input], { XDG_CACHE_HOME: '/cache' })).toBe(first);
    writeFileSync(input, 'moto==2\n');
    expect(cachedToolDir('emulator', [input], { XDG_CACHE_HOME: '/cache' })).not.toBe(first);
    expect(path.dirname(cachedToolDir('emulator', [input], {}))).toBe(
      path.join(homedir(), '.cache', 'serverless-msa'),
    );
  });
});
