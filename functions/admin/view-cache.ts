/**
 * The admin API's cached views (circuits, services): what every open console polls. One read
 * of DynamoDB or Cloud Map per view per `maxAgeMs` per function environment, however many
 * consoles poll it: concurrent polls share the read in flight, later ones get its answer until it
 * is `maxAgeMs` old. An operator's own change drops the view, so the next poll shows it. A failed
 * read is not kept.
 */
export class ViewCache<T> {
  private value?: { readonly at: number; readonly data: T };
  private inFlight?: Promise<T>;
  /** Bumped by `invalidate`: a read that started before it may not fill the cache. */
  private generation = 0;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly maxAgeMs: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<T> {
    const maxAge = this.maxAgeMs();
    if (this.value && maxAge > 0 && this.now() - this.value.at < maxAge) {
      return Promise.resolve(this.value.data);
    }
    if (this.inFlight) return this.inFlight;
    const generation = this.generation;
    const startedAt = this.now();
    const reading = this.read().then((data) => {
      // Caching off keeps nothing: turning it on later starts from a fresh read.
      if (generation === this.generation && maxAge > 0) this.value = { at: startedAt, data };
      return data;
    });
    this.inFlight = reading;
    const clear = () => {
      if (this.inFlight === reading) this.inFlight = undefined;
    };
    reading.then(clear, clear);
    return reading;
  }

  /** Forgets the view: the next `get` reads again (after an operator's action). */
  invalidate(): void {
    this.generation++;
    this.value = undefined;
    this.inFlight = undefined;
  }
}

/** How long a view is kept, from ADMIN_VIEW_CACHE_MS (0 turns caching off); read per request. */
export function viewCacheMaxAge(env: Readonly<Record<string, string | undefined>>): number {
  const configured = Number(env.ADMIN_VIEW_CACHE_MS);
  return Number.isFinite(configured) && configured >= 0 ? configured : DEFAULT_VIEW_CACHE_MS;
}

/** Shorter than the console's 2 s poll would make little sense; longer hides changes. */
export const DEFAULT_VIEW_CACHE_MS = 2000;
