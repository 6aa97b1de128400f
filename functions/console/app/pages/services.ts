import { h, replace } from '../dom';
import type { Page, PageContext } from '../page';

interface InstanceView {
  readonly id: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly health: string;
  readonly lastProbe?: string;
}

interface ServiceView {
  readonly name: string;
  readonly instances: readonly InstanceView[];
}

/** Attributes with their own column; the rest are listed after them. */
const SHOWN = ['version', 'stage', 'weight', 'functionName', 'basePath'];

/**
 * Eureka's page: every registered service, its instances with version, weight and the health
 * the control loop last set (UP in green, anything else in red), and their other attributes.
 */
export function servicesPage(context: PageContext): Page {
  const body = h('div', { className: 'services' });
  const root = h('section', { data: { page: 'services' } }, h('h1', {}, 'Services'), body);
  return {
    root,
    live: true,
    async refresh() {
      const { services } = await context.api.get<{ services: ServiceView[] }>('/admin/services');
      const sorted = [...services].sort((a, b) => a.name.localeCompare(b.name));
      replace(
        body,
        sorted.length === 0 ? h('p', { className: 'empty' }, 'No service is registered.') : null,
        ...sorted.map((service) => {
          const healthy = service.instances.filter((i) => i.health === 'HEALTHY').length;
          return h(
            'article',
            { className: 'service', data: { service: service.name } },
            h(
              'h2',
              {},
              service.name,
              ' ',
              h(
                'span',
                {
                  className: `badge ${healthy > 0 ? 'up' : 'down'}`,
                  data: { role: 'summary' },
                },
                `${healthy}/${service.instances.length} healthy`,
              ),
            ),
            h(
              'table',
              {},
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ...['Instance', 'Health', 'Version', 'Stage', 'Weight', 'Function', 'Path'].map(
                    (title) => h('th', {}, title),
                  ),
                  h('th', {}, 'Other attributes'),
                ),
              ),
              h(
                'tbody',
                {},
                ...service.instances.map((instance) =>
                  h(
                    'tr',
                    { data: { instance: instance.id } },
                    h('td', {}, instance.id),
                    h(
                      'td',
                      {},
                      h(
                        'span',
                        {
                          className: `health ${instance.health === 'HEALTHY' ? 'up' : 'down'}`,
                          data: { role: 'health' },
                        },
                        instance.health,
                      ),
                      instance.lastProbe ? ` (probed ${instance.lastProbe})` : null,
                    ),
                    ...SHOWN.map((key) => h('td', {}, instance.attributes[key] ?? '—')),
                    h(
                      'td',
                      {},
                      Object.entries(instance.attributes)
                        .filter(([key]) => !SHOWN.includes(key))
                        .map(([key, value]) => `${key}=${value}`)
                        .join(' '),
                    ),
                  ),
                ),
              ),
            ),
          );
        }),
      );
    },
  };
}
