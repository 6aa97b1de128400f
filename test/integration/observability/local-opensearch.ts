import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  startOpenSearchNode,
  type OpenSearchNode,
} from '../../../localstack/platform/observability/opensearch-node';

/** A real OpenSearch node for one test file, in a fresh temporary home. */
export function startTestOpenSearch(): Promise<OpenSearchNode> {
  return startOpenSearchNode({
    home: mkdtempSync(path.join(tmpdir(), 'msa-opensearch-')),
    timeoutMs: 120_000,
  });
}

/** Count of documents matching a term, after a refresh so every write is visible. */
export async function countDocuments(
  url: string,
  pattern: string,
  field: string,
  value: string,
): Promise<number> {
  await fetch(`${url}/${pattern}/_refresh`, { method: 'POST' });
  const answer = await fetch(`${url}/${pattern}/_count`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: { term: { [field]: value } } }),
  });
  return ((await answer.json()) as { count: number }).count;
}
