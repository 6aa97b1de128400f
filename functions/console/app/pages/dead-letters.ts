import { button, h, replace } from '../dom';
import type { Page, PageContext } from '../page';

interface DeadLetterQueueView {
  readonly queue: string;
  readonly service?: string;
  readonly messages?: number;
  readonly approximateMessages?: number;
  readonly oldestAgeSeconds?: number;
}

/** Every consumer's dead-letter queue with its depth, and a redrive to the source queue. */
export function deadLettersPage(context: PageContext): Page {
  const body = h('div', { className: 'dead-letters' });
  const root = h('section', { data: { page: 'dead-letters' } }, h('h1', {}, 'Dead letters'), body);
  return {
    root,
    live: true,
    async refresh() {
      const answer = await context.api.get<{
        deadLetters?: DeadLetterQueueView[];
        queues?: DeadLetterQueueView[];
      }>('/admin/dead-letters');
      const queues = answer.deadLetters ?? answer.queues ?? [];
      replace(
        body,
        queues.length === 0 ? h('p', { className: 'empty' }, 'No dead-letter queue.') : null,
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h('tr', {}, ...['Queue', 'Service', 'Messages', ''].map((t) => h('th', {}, t))),
          ),
          h(
            'tbody',
            {},
            ...queues.map((queue) =>
              h(
                'tr',
                { data: { queue: queue.queue } },
                h('td', {}, queue.queue),
                h('td', {}, queue.service ?? '—'),
                h('td', {}, String(queue.messages ?? queue.approximateMessages ?? '—')),
                h(
                  'td',
                  {},
                  button(
                    'Redrive',
                    () =>
                      void context.act(`Redrive of ${queue.queue} started`, () =>
                        context.api.send(
                          'POST',
                          `/admin/dead-letters/${encodeURIComponent(queue.queue)}/redrive`,
                        ),
                      ),
                    { data: { action: 'redrive' } },
                  ),
                ),
              ),
            ),
          ),
        ),
      );
    },
  };
}
