import { describe, expect, it } from 'vitest';
import {
  serviceFunctionEnvironmentName,
  serviceFunctionName,
} from '../../../../functions/runtime/service/service-directory';

describe('serviceFunctionEnvironmentName', () => {
  it.each([
    ['recommendations', 'SERVICE_RECOMMENDATIONS_FUNCTION_NAME'],
    ['reading-list', 'SERVICE_READING_LIST_FUNCTION_NAME'],
    ['a-b-c2', 'SERVICE_A_B_C2_FUNCTION_NAME'],
  ])('names the variable of %s %s', (service, variable) => {
    expect(serviceFunctionEnvironmentName(service)).toBe(variable);
  });
});

describe('serviceFunctionName', () => {
  it('reads the function name from the environment', () => {
    const env = { SERVICE_READING_LIST_FUNCTION_NAME: 'shop-ReadingList-abc123' };
    expect(serviceFunctionName('reading-list', env)).toBe('shop-ReadingList-abc123');
  });

  it('reads process.env by default', () => {
    process.env.SERVICE_DIRECTORY_TEST_FUNCTION_NAME = 'fn-from-process-env';
    try {
      expect(serviceFunctionName('directory-test')).toBe('fn-from-process-env');
    } finally {
      delete process.env.SERVICE_DIRECTORY_TEST_FUNCTION_NAME;
    }
  });

  it('throws a clear error naming the service and the variable when it is missing', () => {
    expect(() => serviceFunctionName('recommendations', {})).toThrow(
      "No function is configured for service 'recommendations' (SERVICE_RECOMMENDATIONS_FUNCTION_NAME)",
    );
  });

  it('treats an empty value as missing', () => {
    expect(() =>
      serviceFunctionName('recommendations', { SERVICE_RECOMMENDATIONS_FUNCTION_NAME: '' }),
    ).toThrow(/No function is configured/);
  });
});
