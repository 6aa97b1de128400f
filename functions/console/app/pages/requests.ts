import { externalLink, formatTime, h, replace } from '../dom';
import { traceUrl } from '../model';
import type { Page, PageContext } from '../page';

/**
 * Traces: every request this console made, with its correlation ID and a link to its trace
 * (Zipkin locally, the X-Ray console on AWS). The logs page links each log line's trace too.
 */
export function requestsPage(context: PageContext): Page {
  const rows = h('tbody', {});
  const root = h(
    'section',
    { data: { page: 'traces' } },
    h('h1', {}, 'Traces'),
    h('p', {}, 'The last requests of this console, each with its trace.'),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Time', 'Request', 'Status', 'Correlation ID', 'Trace'].map((t) => h('th', {}, t)),
        ),
      ),
      rows,
    ),
  );
  return {
    root,
    live: true,
    async refresh() {
      replace(
        rows,
        ...context.api.requests.map((request) => {
          const url = traceUrl(context.config.traces, request.traceId);
          return h(
            'tr',
            {},
            h('td', {}, formatTime(request.at)),
            h('td', {}, `${request.method} ${request.path}`),
            h('td', {}, String(request.status)),
            h('td', { className: 'mono' }, request.correlationId),
            h('td', {}, url ? externalLink(url, 'trace') : '—'),
          );
        }),
      );
    },
  };
}
