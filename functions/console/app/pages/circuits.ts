import { button, formatTime, h, replace, svg } from '../dom';
import { circleRadius, percent, stateClass, type CircuitView } from '../model';
import type { Page, PageContext } from '../page';

interface Card {
  readonly root: HTMLElement;
  readonly circle: SVGElement;
  readonly state: HTMLElement;
  readonly rate: HTMLElement;
  readonly calls: HTMLElement;
  readonly detail: HTMLElement;
  readonly transitions: HTMLOListElement;
  /** Transitions seen while the page was open, newest first. */
  readonly seen: { at: string; from: string; to: string; reason?: string }[];
  last?: CircuitView;
}

const KEPT_TRANSITIONS = 5;
const SIZE = 100;

/**
 * Hystrix's dashboard: a circle per circuit, its size the calls in the breaker's window, its
 * colour the state; the failure rate, counters and the last transitions beside it; the
 * operator's force-open, force-closed and reset under it. Cards are updated in place, so a
 * circuit keeps its place and the transitions seen while watching.
 */
export function circuitsPage(context: PageContext): Page {
  const grid = h('div', { className: 'circuits' });
  const empty = h('p', { className: 'empty' }, 'No circuit yet: none has been called.');
  const root = h('section', { data: { page: 'circuits' } }, h('h1', {}, 'Circuits'), empty, grid);
  const cards = new Map<string, Card>();

  function card(name: string): Card {
    const existing = cards.get(name);
    if (existing) return existing;
    const circle = svg('circle', { cx: SIZE / 2, cy: SIZE / 2, r: 10 });
    const picture = svg('svg', {
      viewBox: `0 0 ${SIZE} ${SIZE}`,
      width: SIZE,
      height: SIZE,
      role: 'img',
    });
    picture.appendChild(circle);
    const state = h('span', { className: 'state' });
    const rate = h('span', { className: 'rate' });
    const calls = h('span', { className: 'calls' });
    const detail = h('div', { className: 'detail' });
    const transitions = h('ol', { className: 'transitions' });
    const action = (label: string, route: string) =>
      button(
        label,
        () =>
          void context.act(`${label}: ${name}`, () =>
            context.api.send('POST', `/admin/circuits/${encodeURIComponent(name)}/${route}`),
          ),
        { data: { action: route } },
      );
    const actions = h(
      'div',
      { className: 'actions' },
      action('Force open', 'force-open'),
      action('Force closed', 'force-closed'),
      action('Reset', 'reset'),
    );
    const root = h(
      'article',
      { className: 'circuit', data: { circuit: name } },
      picture,
      h(
        'div',
        { className: 'facts' },
        h('h2', { className: 'name' }, name),
        h('div', {}, state, ' · ', rate, ' failing · ', calls),
        detail,
        transitions,
        actions,
      ),
    );
    const created: Card = { root, circle, state, rate, calls, detail, transitions, seen: [] };
    cards.set(name, created);
    return created;
  }

  function update(view: CircuitView, busiest: number): HTMLElement {
    const c = card(view.name);
    if (c.last && c.last.version !== view.version) {
      c.seen.unshift({
        at: view.changedAt ?? new Date().toISOString(),
        from: c.last.state,
        to: view.state,
        reason: view.reason,
      });
      c.seen.length = Math.min(c.seen.length, KEPT_TRANSITIONS);
    }
    c.last = view;
    const stateName = stateClass(view.state);
    c.root.dataset.state = view.state;
    c.circle.setAttribute('r', String(circleRadius(view.window.calls, busiest)));
    c.circle.setAttribute('class', `dot ${stateName}`);
    c.state.textContent = view.state;
    c.state.className = `state ${stateName}`;
    c.rate.textContent = percent(view.window.failureRate);
    c.calls.textContent = `${view.window.calls} calls in window`;
    replace(
      c.detail,
      h(
        'dl',
        {},
        h('dt', {}, 'Last change'),
        h('dd', {}, `${formatTime(view.changedAt)}${view.reason ? ` (${view.reason})` : ''}`),
        h('dt', {}, 'Failures in window'),
        h('dd', {}, String(view.window.failures)),
        h('dt', {}, 'Consecutive failures'),
        h('dd', {}, String(view.consecutiveFailures)),
        h('dt', {}, 'Re-opened'),
        h('dd', {}, String(view.reopenCount)),
        view.openUntil ? h('dt', {}, 'Open until') : null,
        view.openUntil ? h('dd', {}, formatTime(view.openUntil)) : null,
      ),
    );
    replace(
      c.transitions,
      ...c.seen.map((t) =>
        h('li', {}, `${formatTime(t.at)} ${t.from} → ${t.to}${t.reason ? ` (${t.reason})` : ''}`),
      ),
    );
    return c.root;
  }

  return {
    root,
    live: true,
    async refresh() {
      const { circuits } = await context.api.get<{ circuits: CircuitView[] }>('/admin/circuits');
      const busiest = Math.max(0, ...circuits.map((circuit) => circuit.window.calls));
      const sorted = [...circuits].sort((a, b) => a.name.localeCompare(b.name));
      replace(grid, ...sorted.map((circuit) => update(circuit, busiest)));
      empty.hidden = circuits.length > 0;
    },
  };
}
