/**
 * The index template every daily log index is created from, and the retention policy of those
 * indices. Explicit mappings for the Powertools fields; `dynamic: false` keeps keys nobody mapped
 * in `_source` without adding fields, and `attributes` (a `flat_object`) makes arbitrary nested
 * keys searchable as one field: no log line can explode the mapping.
 */
export function logIndexTemplate(indexPrefix: string): Record<string, unknown> {
  const keyword = { type: 'keyword', ignore_above: 512 };
  return {
    index_patterns: [`${indexPrefix}-*`],
    priority: 100,
    template: {
      settings: {
        'index.number_of_shards': 1,
        // One replica where a second node exists (a domain), none on a single local node.
        'index.auto_expand_replicas': '0-1',
        'index.mapping.ignore_malformed': true,
        'index.mapping.total_fields.limit': 200,
      },
      mappings: {
        dynamic: false,
        properties: {
          '@timestamp': { type: 'date' },
          timestamp: { type: 'date' },
          level: keyword,
          message: { type: 'text', fields: { raw: { ...keyword, ignore_above: 256 } } },
          service: keyword,
          source_service: keyword,
          correlation_id: keyword,
          xray_trace_id: keyword,
          function_name: keyword,
          function_arn: keyword,
          function_request_id: keyword,
          function_version: keyword,
          cold_start: { type: 'boolean' },
          sampling_rate: { type: 'float' },
          log_group: keyword,
          log_stream: keyword,
          error: {
            properties: {
              name: keyword,
              message: { type: 'text' },
              stack: { type: 'text', index: false },
              fingerprint: keyword,
            },
          },
          attributes: { type: 'flat_object' },
        },
      },
    },
  };
}

/** Name of the index template (and the retention policy) of one index prefix. */
export function logTemplateName(indexPrefix: string): string {
  return `${indexPrefix}-template`;
}

/**
 * Index State Management policy: daily indices are deleted `retentionDays` after creation, and
 * the policy attaches itself to every new index of the prefix. ISM is a plugin that every
 * managed domain has; the local node (core OpenSearch) has none, so locally only the template
 * applies and indices live as long as the state folder.
 */
export function logRetentionPolicy(
  indexPrefix: string,
  retentionDays: number,
): Record<string, unknown> {
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new Error(`Log retention must be a whole number of days ≥ 1, not ${retentionDays}`);
  }
  return {
    policy: {
      description: `Deletes ${indexPrefix}-* indices ${retentionDays} days after creation`,
      default_state: 'hot',
      states: [
        {
          name: 'hot',
          actions: [],
          transitions: [
            { state_name: 'delete', conditions: { min_index_age: `${retentionDays}d` } },
          ],
        },
        { name: 'delete', actions: [{ delete: {} }], transitions: [] },
      ],
      ism_template: [{ index_patterns: [`${indexPrefix}-*`], priority: 100 }],
    },
  };
}
