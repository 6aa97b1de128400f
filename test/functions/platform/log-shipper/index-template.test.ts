import { describe, expect, it } from 'vitest';
import { dailyIndexName } from '../../../../functions/runtime/contract';
import {
  logIndexTemplate,
  logRetentionPolicy,
} from '../../../../functions/platform/log-shipper/index-template';

describe('log index template and retention policy', () => {
  it('names daily indices by the UTC day of the event', () => {
    expect(dailyIndexName('logs-demo', Date.UTC(2026, 0, 9, 23, 59, 59, 999))).toBe(
      'logs-demo-2026.01.09',
    );
    expect(dailyIndexName('logs-demo', Date.UTC(2026, 0, 10))).toBe('logs-demo-2026.01.10');
  });

  it('covers the prefix’s indices with dynamic mapping off and a flat_object for other keys', () => {
    const template = logIndexTemplate('logs-demo') as {
      index_patterns: string[];
      template: {
        mappings: {
          dynamic: boolean;
          properties: Record<
            string,
            { type?: string; properties?: Record<string, { type: string }> }
          >;
        };
      };
    };
    expect(template.index_patterns).toEqual(['logs-demo-*']);
    expect(template.template.mappings.dynamic).toBe(false);
    const { properties } = template.template.mappings;
    expect(properties.attributes.type).toBe('flat_object');
    expect(properties.error.properties?.fingerprint.type).toBe('keyword');
    for (const field of ['level', 'service', 'correlation_id', 'xray_trace_id', 'function_name']) {
      expect(properties[field].type).toBe('keyword');
    }
  });

  it('deletes indices after the retention and attaches itself to new ones', () => {
    const { policy } = logRetentionPolicy('logs-demo', 30) as {
      policy: {
        states: { name: string; transitions: { conditions?: { min_index_age: string } }[] }[];
        ism_template: { index_patterns: string[] }[];
      };
    };
    expect(policy.states.find((state) => state.name === 'hot')?.transitions[0].conditions).toEqual({
      min_index_age: '30d',
    });
    expect(policy.states.map((state) => state.name)).toEqual(['hot', 'delete']);
    expect(policy.ism_template[0].index_patterns).toEqual(['logs-demo-*']);
  });

  it('refuses a retention that is not a whole number of days', () => {
    expect(() => logRetentionPolicy('logs-demo', 0)).toThrow(/whole number of days/);
    expect(() => logRetentionPolicy('logs-demo', 1.5)).toThrow(/whole number of days/);
  });
});
