import { backoffDelay } from './backoff';
import { logIndexTemplate, logRetentionPolicy, logTemplateName } from './index-template';
import type { OpenSearchClient } from '../../runtime/observability';

/**
 * Puts the index template (and, with a retention, the ISM policy) before the first document of
 * an environment is written, so every daily index is created with the explicit mappings. Both
 * writes are idempotent; a policy that already exists (409) is left as it is.
 */
export async function ensureIndexSetup(
  client: OpenSearchClient,
  indexPrefix: string,
  options: {
    retentionDays?: number;
    /** @default - the log index template (logIndexTemplate) */
    template?: Record<string, unknown>;
    attempts?: number;
    sleep?: (ms: number) => Promise<void>;
  } = {},
): Promise<void> {
  const name = logTemplateName(indexPrefix);
  await withRetries(options, () =>
    client.request(
      'PUT',
      `/_index_template/${name}`,
      JSON.stringify(options.template ?? logIndexTemplate(indexPrefix)),
    ),
  );
  if (options.retentionDays !== undefined) {
    const policy = JSON.stringify(logRetentionPolicy(indexPrefix, options.retentionDays));
    await withRetries(
      options,
      () => client.request('PUT', `/_plugins/_ism/policies/${name}`, policy),
      [409],
    );
  }
}

async function withRetries(
  options: { attempts?: number; sleep?: (ms: number) => Promise<void> },
  call: () => Promise<{ status: number; body: string }>,
  alsoFine: number[] = [],
): Promise<void> {
  const attempts = options.attempts ?? 4;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const { status, body } = await call();
      if ((status >= 200 && status < 300) || alsoFine.includes(status)) return;
      last = `http ${status}: ${body.slice(0, 300)}`;
      if (status !== 429 && status < 500) break;
    } catch (error) {
      last = (error as Error).message;
    }
    if (attempt < attempts) await sleep(backoffDelay(attempt));
  }
  throw new Error(`OpenSearch index set-up failed: ${last}`);
}
