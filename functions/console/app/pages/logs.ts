import { button, externalLink, field, h, input, replace } from '../dom';
import { rootTraceId, traceUrl } from '../model';
import type { Page, PageContext } from '../page';

interface LogLine {
  readonly timestamp: string;
  readonly level?: string;
  readonly service?: string;
  readonly correlationId?: string;
  readonly traceId?: string;
  readonly message?: string;
  readonly error?: { readonly name?: string; readonly message?: string };
}

const LEVELS = ['', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/**
 * Kibana's place: the central logs (OpenSearch) searched by correlation ID, service, level and
 * time; each line links its request's trace.
 */
export function logsPage(context: PageContext): Page {
  const correlationId = input('correlationId', { placeholder: 'correlation ID', size: '38' });
  const service = input('service', { placeholder: 'service' });
  const level = h('select', { attrs: { name: 'level' } });
  for (const name of LEVELS)
    level.appendChild(h('option', { attrs: { value: name } }, name || 'any level'));
  const from = input('from', { type: 'datetime-local' });
  const to = input('to', { type: 'datetime-local' });
  const rows = h('tbody', {});
  const summary = h('p', { className: 'summary', data: { role: 'summary' } });

  async function search(): Promise<void> {
    const query = new URLSearchParams();
    if (correlationId.value.trim()) query.set('correlationId', correlationId.value.trim());
    if (service.value.trim()) query.set('service', service.value.trim());
    if (level.value) query.set('level', level.value);
    if (from.value) query.set('from', new Date(from.value).toISOString());
    if (to.value) query.set('to', new Date(to.value).toISOString());
    const { lines } = await context.api.get<{ lines: LogLine[] }>(
      `/admin/logs?${query.toString()}`,
    );
    summary.textContent = `${lines.length} line${lines.length === 1 ? '' : 's'}`;
    replace(
      rows,
      ...lines.map((line) => {
        const trace = traceUrl(context.config.traces, rootTraceId(line.traceId));
        return h(
          'tr',
          { className: `level-${(line.level ?? '').toLowerCase()}`, data: { role: 'log-line' } },
          h('td', { className: 'mono' }, line.timestamp),
          h('td', {}, line.level ?? ''),
          h('td', {}, line.service ?? ''),
          h('td', { className: 'mono' }, line.correlationId ?? ''),
          h(
            'td',
            { className: 'message' },
            line.message ?? '',
            line.error ? ` — ${line.error.name ?? 'Error'}: ${line.error.message ?? ''}` : '',
          ),
          h('td', {}, trace ? externalLink(trace, 'trace') : ''),
        );
      }),
    );
  }

  const form = h(
    'form',
    { className: 'search' },
    field('Correlation ID', correlationId),
    field('Service', service),
    field('Level', level),
    field('From', from),
    field('To', to),
    button(
      'Search',
      () => void search().catch((e: unknown) => context.status(String(e), 'error')),
      {
        data: { action: 'search' },
      },
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void search().catch((error: unknown) => context.status(String(error), 'error'));
  });
  const root = h(
    'section',
    { data: { page: 'logs' } },
    h('h1', {}, 'Logs'),
    form,
    summary,
    h(
      'table',
      { className: 'log-lines' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Time', 'Level', 'Service', 'Correlation ID', 'Message', 'Trace'].map((t) =>
            h('th', {}, t),
          ),
        ),
      ),
      rows,
    ),
  );
  return { root, live: false, refresh: async () => undefined };
}
