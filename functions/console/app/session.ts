import { randomState, randomVerifier, s256Challenge } from './pkce';

/** What `GET <console>/config` answers. */
export interface ConsoleConfig {
  /** The gateway path before every route (`/prod` on the execute-api endpoint, `''` locally). */
  readonly apiBase: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly traces:
    | { readonly kind: 'zipkin'; readonly url: string }
    | { readonly kind: 'xray'; readonly region: string };
}

export class LoginError extends Error {
  override readonly name = 'LoginError';
}

interface PendingLogin {
  readonly verifier: string;
  readonly state: string;
  readonly returnTo: string;
}

interface TokenAnswer {
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly expires_in?: number;
  readonly scope?: string;
}

/** Only the login in progress is kept across the redirect (this tab only, gone once used). */
const PENDING_KEY = 'console.pendingLogin';
/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 30_000;

/**
 * The operator's login: authorization code with PKCE as a public client. The verifier and state
 * wait in sessionStorage across the redirect to the login page; the tokens live in this object
 * only (never in storage a script of another page could read), so a reload logs in again.
 * Refresh tokens rotate: each refresh replaces both tokens, and one refresh runs at a time.
 */
export class Session {
  private accessToken?: string;
  private refreshToken?: string;
  private expiresAt = 0;
  private refreshing?: Promise<void>;
  /** Scopes the server granted. */
  granted: readonly string[] = [];

  constructor(
    private readonly config: ConsoleConfig,
    /** The console's absolute path, e.g. `/prod/console`. */
    private readonly consolePath: string,
  ) {}

  get redirectUri(): string {
    return `${location.origin}${this.consolePath}/callback`;
  }

  get loggedIn(): boolean {
    return this.accessToken !== undefined;
  }

  hasScope(scope: string): boolean {
    return this.granted.includes(scope);
  }

  /** Sends the browser to the login page; comes back to `/callback`. */
  async beginLogin(returnTo: string): Promise<void> {
    const pending: PendingLogin = { verifier: randomVerifier(), state: randomState(), returnTo };
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: this.config.clientId,
      redirect_uri: this.redirectUri,
      code_challenge: await s256Challenge(pending.verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      scope: this.config.scopes.join(' '),
    });
    location.assign(`${this.config.apiBase}/oauth2/authorize?${query.toString()}`);
  }

  /**
   * Finishes a login from the callback's query: the state must be the one this tab sent, then the
   * code is exchanged with the verifier. Answers where the operator was going.
   */
  async completeLogin(query: URLSearchParams): Promise<string> {
    const saved = sessionStorage.getItem(PENDING_KEY);
    sessionStorage.removeItem(PENDING_KEY);
    const pending = saved ? (JSON.parse(saved) as PendingLogin) : undefined;
    if (!pending || !query.get('state') || query.get('state') !== pending.state) {
      throw new LoginError('The login answer does not belong to this window (state mismatch).');
    }
    const error = query.get('error');
    if (error) throw new LoginError(`Login refused: ${query.get('error_description') ?? error}`);
    const code = query.get('code');
    if (!code) throw new LoginError('The login answer carries no code.');
    await this.tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.redirectUri,
      client_id: this.config.clientId,
      code_verifier: pending.verifier,
    });
    return pending.returnTo;
  }

  /** A valid access token, refreshed first when it is about to expire. */
  async token(): Promise<string> {
    if (this.refreshToken && Date.now() > this.expiresAt - REFRESH_MARGIN_MS) await this.refresh();
    if (!this.accessToken) throw new LoginError('Not logged in.');
    return this.accessToken;
  }

  /** Trades the refresh token for a new pair (rotation); one exchange at a time. */
  refresh(): Promise<void> {
    if (!this.refreshToken) return Promise.reject(new LoginError('The session has ended.'));
    this.refreshing ??= this.tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: this.refreshToken,
      client_id: this.config.clientId,
    }).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  logout(): void {
    this.accessToken = undefined;
    this.refreshToken = undefined;
    this.granted = [];
  }

  private async tokenRequest(form: Record<string, string>): Promise<void> {
    const response = await fetch(`${this.config.apiBase}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      credentials: 'omit',
      cache: 'no-store',
    });
    const body = (await response.json().catch(() => ({}))) as Partial<TokenAnswer> & {
      error?: string;
      error_description?: string;
    };
    if (!response.ok || typeof body.access_token !== 'string') {
      this.logout();
      throw new LoginError(
        `The token endpoint refused: ${body.error_description ?? body.error ?? response.status}`,
      );
    }
    this.accessToken = body.access_token;
    this.refreshToken = body.refresh_token ?? this.refreshToken;
    this.expiresAt = Date.now() + (body.expires_in ?? 300) * 1000;
    this.granted = (body.scope ?? this.config.scopes.join(' ')).split(' ').filter(Boolean);
  }
}
