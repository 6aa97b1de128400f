import { formatTime, h, replace } from '../dom';
import type { Page, PageContext } from '../page';

interface TopError {
  readonly fingerprint: string;
  readonly count: number;
  readonly lastSeen: string;
  readonly services: readonly string[];
  readonly name?: string;
  readonly message?: string;
}

/** Exception tracking: errors grouped by fingerprint, most frequent first. */
export function errorsPage(context: PageContext): Page {
  const rows = h('tbody', {});
  const root = h(
    'section',
    { data: { page: 'errors' } },
    h('h1', {}, 'Errors'),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Count', 'Error', 'Services', 'Last seen', 'Fingerprint'].map((t) => h('th', {}, t)),
        ),
      ),
      rows,
    ),
  );
  return {
    root,
    live: true,
    async refresh() {
      const { errors } = await context.api.get<{ errors: TopError[] }>('/admin/errors');
      replace(
        rows,
        ...errors.map((error) =>
          h(
            'tr',
            { data: { fingerprint: error.fingerprint } },
            h('td', {}, String(error.count)),
            h('td', {}, `${error.name ?? 'Error'}: ${error.message ?? ''}`),
            h('td', {}, error.services.join(', ')),
            h('td', {}, formatTime(error.lastSeen)),
            h('td', { className: 'mono' }, error.fingerprint),
          ),
        ),
      );
    },
  };
}
