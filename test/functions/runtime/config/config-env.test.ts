import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configReaderFromEnv } from '../../../../functions/runtime/config';

const BASE = {
  CONFIG_SERVICE_PATH: '/shop/dev/reading-list/',
  CONFIG_SHARED_PATH: 'shop/dev/shared',
};

describe('configReaderFromEnv', () => {
  it('normalizes the paths it is given', () => {
    const config = configReaderFromEnv(BASE);
    expect(config.parameterName('page-size')).toBe('/shop/dev/reading-list/page-size');
    expect(config.parameterName('/issuer', { shared: true })).toBe('/shop/dev/shared/issuer');
  });

  it('fails at cold start on a missing path, half an AppConfig setting or a bad max age', () => {
    expect(() => configReaderFromEnv({ CONFIG_SHARED_PATH: '/a' })).toThrow(
      'CONFIG_SERVICE_PATH is not set',
    );
    expect(() => configReaderFromEnv({ ...BASE, APPCONFIG_APPLICATION: 'shop' })).toThrow(
      'APPCONFIG_APPLICATION and APPCONFIG_ENVIRONMENT must be set together',
    );
    expect(() => configReaderFromEnv({ ...BASE, CONFIG_MAX_AGE_SECONDS: 'soon' })).toThrow(
      'CONFIG_MAX_AGE_SECONDS must be a number >= 0, got "soon"',
    );
  });

  it('leaves AppConfig off when it is not configured', async () => {
    await expect(
      configReaderFromEnv({ ...BASE, CONFIG_MAX_AGE_SECONDS: '5' }).appConfig('p', z.object({})),
    ).rejects.toThrow(/AppConfig is not configured/);
  });
});
