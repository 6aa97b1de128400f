/**
 * `npm run logs -- [text] [options]`: searches the local platform's central logs (the OpenSearch
 * node `npm start` runs, fed by the log shipper).
 *
 *   -c, --correlation-id <id>   lines of one request, across every service it touched
 *   -s, --service <name>        lines of one service
 *   -l, --level <LEVEL[,…]>     e.g. ERROR or ERROR,WARN
 *       --since <time>          15m, 2h, 7d or an ISO time (default: everything)
 *       --until <time>
 *   -n, --size <n>              newest n lines, shown oldest first (default 50, at most 1000)
 *       --top-errors            errors grouped by fingerprint: count, last seen, services
 *       --json                  the documents as JSON lines
 *       --url <url>             the OpenSearch node (default: openSearchUrl of platform.json in
 *                               LOCAL_STATE_DIR, else .local)
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  formatLogHit,
  formatTopError,
  LOG_INDEX_PATTERN,
  LogQueryError,
  logSearchBody,
  parseTime,
  readLogHits,
  readTopErrors,
  topErrorsBody,
  type LogQuery,
} from '../localstack/platform/observability/log-search';

const USAGE = readFileSync(__filename, 'utf8')
  .split('*/')[0]
  .replace(/^\/\*\*\n/, '')
  .replace(/^ \* ?/gm, '');

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'correlation-id': { type: 'string', short: 'c' },
      service: { type: 'string', short: 's' },
      level: { type: 'string', short: 'l' },
      since: { type: 'string' },
      until: { type: 'string' },
      size: { type: 'string', short: 'n' },
      'top-errors': { type: 'boolean' },
      json: { type: 'boolean' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const query: LogQuery = {
    correlationId: values['correlation-id'],
    service: values.service,
    levels: values.level?.split(',').filter(Boolean),
    since: values.since !== undefined ? parseTime(values.since) : undefined,
    until: values.until !== undefined ? parseTime(values.until) : undefined,
    text: positionals.join(' ') || undefined,
    size: values.size !== undefined ? Number(values.size) : undefined,
  };
  const url = values.url ?? openSearchUrlOfPlatform();
  const body = values['top-errors'] ? topErrorsBody(query) : logSearchBody(query);
  const response = await fetch(
    `${url.replace(/\/$/, '')}/${LOG_INDEX_PATTERN}/_search?ignore_unavailable=true`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    },
  ).catch((error: unknown) => {
    throw new LogQueryError(
      `OpenSearch at ${url} does not answer (${(error as Error).message}); is npm start running?`,
    );
  });
  const answer: unknown = await response.json();
  if (!response.ok)
    throw new LogQueryError(
      `OpenSearch answered ${response.status}: ${JSON.stringify(answer).slice(0, 300)}`,
    );
  if (values['top-errors']) {
    const errors = readTopErrors(answer);
    if (values.json) for (const error of errors) process.stdout.write(`${JSON.stringify(error)}\n`);
    else if (errors.length === 0) process.stdout.write('No errors logged.\n');
    else for (const error of errors) process.stdout.write(`${formatTopError(error)}\n`);
    return 0;
  }
  const hits = readLogHits(answer);
  for (const hit of hits)
    process.stdout.write(`${values.json ? JSON.stringify(hit.source) : formatLogHit(hit)}\n`);
  if (hits.length === 0 && !values.json) process.stdout.write('No log lines match.\n');
  return 0;
}

function openSearchUrlOfPlatform(): string {
  const stateDir = path.resolve(
    process.env.LOCAL_STATE_DIR ?? path.join(__dirname, '..', '.local'),
  );
  const file = path.join(stateDir, 'platform.json');
  let document: { openSearchUrl?: string };
  try {
    document = JSON.parse(readFileSync(file, 'utf8')) as typeof document;
  } catch {
    throw new LogQueryError(
      `No running platform: ${file} is missing (start one with npm start, or pass --url)`,
    );
  }
  if (!document.openSearchUrl) {
    throw new LogQueryError(
      'The running platform has no central logs (started without Java, or with LOCAL_OPENSEARCH=0)',
    );
  }
  return document.openSearchUrl;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known =
      error instanceof LogQueryError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(
      `logs: ${known ? (error as Error).message : String((error as Error).stack ?? error)}\n`,
    );
    process.exit(2);
  },
);
