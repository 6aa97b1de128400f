import { AdminClient, ApiError } from './api';
import { button, h, replace } from './dom';
import type { Page, PageContext, PageFactory } from './page';
import { circuitsPage } from './pages/circuits';
import { configPage } from './pages/config';
import { deadLettersPage } from './pages/dead-letters';
import { errorsPage } from './pages/errors';
import { faultsPage } from './pages/faults';
import { logsPage } from './pages/logs';
import { requestsPage } from './pages/requests';
import { servicesPage } from './pages/services';
import { LoginError, Session, type ConsoleConfig } from './session';
import './console.css';

const PAGES: readonly (readonly [string, string, PageFactory])[] = [
  ['circuits', 'Circuits', circuitsPage],
  ['services', 'Services', servicesPage],
  ['faults', 'Faults', faultsPage],
  ['config', 'Configuration', configPage],
  ['logs', 'Logs', logsPage],
  ['errors', 'Errors', errorsPage],
  ['traces', 'Traces', requestsPage],
  ['dead-letters', 'Dead letters', deadLettersPage],
];

/** Live pages re-read the admin API this often (its views are cached server-side). */
const POLL_MS = 2000;

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}`);
  return found;
}

/** `/prod/console/callback` → `/prod/console`. */
function consolePath(): string {
  const path = location.pathname.replace(/\/+$/, '');
  return path.endsWith('/callback') ? path.slice(0, -'/callback'.length) : path;
}

async function main(): Promise<void> {
  const statusLine = element('status');
  const status = (message: string, kind: 'info' | 'error' = 'info') => {
    statusLine.textContent = message;
    statusLine.className = `status ${kind}`;
  };
  const base = consolePath();
  const configResponse = await fetch(`${base}/config`, { cache: 'no-store', credentials: 'omit' });
  const config = (await configResponse.json()) as ConsoleConfig;
  const session = new Session(config, base);

  if (location.pathname.replace(/\/+$/, '').endsWith('/callback')) {
    try {
      const returnTo = await session.completeLogin(new URLSearchParams(location.search));
      // The code and state leave the address bar (and the history) at once.
      history.replaceState(
        null,
        '',
        `${base}${returnTo.startsWith('#/') ? returnTo : '#/circuits'}`,
      );
    } catch (error) {
      history.replaceState(null, '', base);
      return loginScreen(status, session, error);
    }
  }
  if (!session.loggedIn) {
    await session.beginLogin(location.hash || '#/circuits');
    return;
  }

  const api = new AdminClient(session, config.apiBase);
  const who = element('who');
  replace(
    who,
    h('span', { data: { role: 'scopes' } }, session.granted.join(' ')),
    ' ',
    button('Log out', () => {
      session.logout();
      location.assign(base);
    }),
  );
  let current: { name: string; page: Page } | undefined;
  const context: PageContext = {
    api,
    session,
    config,
    status,
    async act(description, action) {
      try {
        await action();
        status(description);
      } catch (error) {
        status(describe(error), 'error');
      }
      await current?.page.refresh().catch((error: unknown) => status(describe(error), 'error'));
    },
  };

  const nav = element('nav');
  const links = PAGES.map(([name, title]) =>
    h('a', { attrs: { href: `#/${name}` }, data: { nav: name } }, title),
  );
  replace(nav, ...links);

  const show = () => {
    const name = location.hash.replace(/^#\//, '') || 'circuits';
    const entry = PAGES.find(([pageName]) => pageName === name) ?? PAGES[0];
    const page = entry[2](context);
    current = { name: entry[0], page };
    for (const link of links) link.classList.toggle('current', link.dataset.nav === entry[0]);
    replace(element('page'), page.root);
    document.title = `${entry[1]} · Operator console`;
    void load(page);
  };
  const load = async (page: Page) => {
    try {
      await page.refresh();
      page.root.dataset.loaded = 'true';
    } catch (error) {
      if (error instanceof LoginError) return loginScreen(status, session, error);
      status(describe(error), 'error');
    }
  };
  window.addEventListener('hashchange', show);
  show();
  setInterval(() => {
    if (current?.page.live && document.visibilityState === 'visible') void load(current.page);
  }, POLL_MS);
}

function describe(error: unknown): string {
  if (error instanceof ApiError && error.status === 404) {
    return `${error.message} (this platform does not offer it)`;
  }
  return error instanceof Error ? error.message : String(error);
}

function loginScreen(
  status: (message: string, kind?: 'info' | 'error') => void,
  session: Session,
  error: unknown,
): void {
  status(describe(error), 'error');
  replace(
    element('page'),
    h(
      'section',
      { data: { page: 'login' } },
      h('h1', {}, 'Not logged in'),
      button('Log in', () => void session.beginLogin('#/circuits'), { data: { action: 'login' } }),
    ),
  );
}

main().catch((error: unknown) => {
  const line = document.getElementById('status');
  if (line) line.textContent = `The console could not start: ${describe(error)}`;
});
