import { button, formatTime, h, replace } from '../dom';
import type { Page, PageContext } from '../page';

interface ConfigValue {
  readonly service: string;
  readonly name: string;
  readonly value: string;
  readonly version?: number;
  readonly lastModified?: string;
}

interface FeatureFlag {
  readonly service: string;
  readonly name: string;
  readonly enabled: boolean;
}

/** Central configuration: each service's values, and its feature flags (switchable, audited). */
export function configPage(context: PageContext): Page {
  const values = h('tbody', {});
  const flags = h('tbody', {});
  const root = h(
    'section',
    { data: { page: 'config' } },
    h('h1', {}, 'Configuration'),
    h('h2', {}, 'Feature flags'),
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, ...['Service', 'Flag', 'State', ''].map((t) => h('th', {}, t)))),
      flags,
    ),
    h('h2', {}, 'Values'),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Service', 'Name', 'Value', 'Version', 'Changed'].map((t) => h('th', {}, t)),
        ),
      ),
      values,
    ),
  );
  return {
    root,
    live: false,
    async refresh() {
      const answer = await context.api.get<{ values: ConfigValue[]; flags: FeatureFlag[] }>(
        '/admin/config',
      );
      replace(
        flags,
        ...answer.flags.map((flag) =>
          h(
            'tr',
            { data: { flag: `${flag.service}/${flag.name}` } },
            h('td', {}, flag.service),
            h('td', {}, flag.name),
            h('td', {}, flag.enabled ? 'on' : 'off'),
            h(
              'td',
              {},
              button(
                flag.enabled ? 'Switch off' : 'Switch on',
                () =>
                  void context.act(`Flag ${flag.service}/${flag.name} switched`, () =>
                    context.api.send(
                      'PUT',
                      `/admin/flags/${encodeURIComponent(flag.service)}/${encodeURIComponent(flag.name)}`,
                      { enabled: !flag.enabled },
                    ),
                  ),
                { data: { action: 'toggle' } },
              ),
            ),
          ),
        ),
      );
      replace(
        values,
        ...answer.values.map((value) =>
          h(
            'tr',
            {},
            h('td', {}, value.service),
            h('td', {}, value.name),
            h('td', { className: 'mono' }, value.value),
            h('td', {}, value.version === undefined ? '—' : String(value.version)),
            h('td', {}, formatTime(value.lastModified)),
          ),
        ),
      );
    },
  };
}
