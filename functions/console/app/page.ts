import type { AdminClient } from './api';
import type { ConsoleConfig, Session } from './session';

export interface PageContext {
  readonly api: AdminClient;
  readonly session: Session;
  readonly config: ConsoleConfig;
  /** One line under the header: what just happened, or what failed. */
  status(message: string, kind?: 'info' | 'error'): void;
  /** Runs an operator action, reports its outcome, then refreshes the page. */
  act(description: string, action: () => Promise<unknown>): Promise<void>;
}

export interface Page {
  readonly root: HTMLElement;
  /** Polled while the page shows (live pages) or once when it opens. */
  refresh(): Promise<void>;
  /** Polled every few seconds. */
  readonly live: boolean;
}

export type PageFactory = (context: PageContext) => Page;
