import { button, field, formatTime, h, input, replace } from '../dom';
import type { Page, PageContext } from '../page';

interface FaultView {
  readonly service: string;
  readonly errorRate: number;
  readonly latencyMs: number;
  readonly updatedAt?: string;
}

/**
 * Fault injection per service (the service mesh's idea): an error rate and added latency the
 * service applies to its own requests, so its callers' circuits can be watched opening.
 */
export function faultsPage(context: PageContext): Page {
  const body = h('div', { className: 'faults' });
  const root = h('section', { data: { page: 'faults' } }, h('h1', {}, 'Fault injection'), body);
  return {
    root,
    live: false,
    async refresh() {
      const [{ services }, { faults }] = await Promise.all([
        context.api.get<{ services: { name: string }[] }>('/admin/services'),
        context.api.get<{ faults: FaultView[] }>('/admin/faults'),
      ]);
      const byService = new Map(faults.map((fault) => [fault.service, fault]));
      const names = [...new Set([...services.map((s) => s.name), ...byService.keys()])].sort();
      replace(
        body,
        ...names.map((name) => {
          const current = byService.get(name);
          const errorRate = input('errorRate', {
            type: 'number',
            min: '0',
            max: '1',
            step: '0.05',
            value: String(current?.errorRate ?? 0),
          });
          const latency = input('latencyMs', {
            type: 'number',
            min: '0',
            max: '30000',
            step: '50',
            value: String(current?.latencyMs ?? 0),
          });
          return h(
            'form',
            { className: 'fault', data: { service: name } },
            h('h2', {}, name),
            h(
              'p',
              { className: 'current', data: { role: 'current' } },
              current
                ? `Now: ${(current.errorRate * 100).toFixed(0)} % errors, +${current.latencyMs} ms (set ${formatTime(current.updatedAt)})`
                : 'No fault injected.',
            ),
            field('Error rate (0–1)', errorRate),
            field('Added latency (ms)', latency),
            button(
              'Inject',
              () =>
                void context.act(`Fault injected into ${name}`, () =>
                  context.api.send('PUT', `/admin/faults/${encodeURIComponent(name)}`, {
                    errorRate: Number(errorRate.value),
                    latencyMs: Number(latency.value),
                  }),
                ),
              { data: { action: 'inject' } },
            ),
            current
              ? button(
                  'Clear',
                  () =>
                    void context.act(`Faults of ${name} cleared`, () =>
                      context.api.send('DELETE', `/admin/faults/${encodeURIComponent(name)}`),
                    ),
                  { data: { action: 'clear' } },
                )
              : null,
          );
        }),
      );
    },
  };
}
