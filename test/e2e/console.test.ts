import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  PROJECT_ROOT,
  requestToken,
  startPlatformProcess,
  type PlatformProcess,
} from './platform-process';

/**
 * The operator console in a real browser (Debian's chromium, headless, driven by
 * playwright-core) against `npm start`: an operator logs in through the login page, watches the
 * services and circuits, injects a fault and sees the circuit open, resets it; markup in a
 * displayed field shows as text. Screenshots of each page go to `.local/console-screenshots/`.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(PROJECT_ROOT, '.local', 'console-screenshots');
/** Markup in a circuit's name: it must show as these characters, never become an element. */
const MARKUP_NAME = '<img src=x onerror="document.body.dataset.injected=1"><b>bold</b>';

interface PlatformDocument {
  readonly consoleUrl?: string;
  readonly operators?: { username: string; password: string }[];
  readonly awsEndpoint: string;
  readonly region: string;
}

let platform: PlatformProcess;
let browser: Browser;
let page: Page;
let reader: string;
/** What the browser reported about the page's Content-Security-Policy. */
const cspViolations: string[] = [];

const platformFile = () => platform.document as unknown as PlatformDocument;

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** A CSS attribute selector's value for any string (JSON's escapes are CSS's too). */
const css = (value: string) => JSON.stringify(value);

/** Opens a console page by its address (#/name) and waits until it shows the API's answer. */
async function show(pageName: string): Promise<void> {
  await page.evaluate(`window.location.hash = ${css(`#/${pageName}`)}`);
  await page.locator(`section[data-page=${css(pageName)}][data-loaded="true"]`).waitFor();
}

const circuitCard = (name: string) => page.locator(`article.circuit[data-circuit=${css(name)}]`);

/** The state the page shows for a circuit (`data-state` of its card), or undefined. */
async function shownState(name: string): Promise<string | undefined> {
  const card = circuitCard(name);
  return (await card.count()) === 0
    ? undefined
    : ((await card.getAttribute('data-state')) ?? undefined);
}

function residentTable(): string {
  const admin = platform.document.functions.find(
    (fn) => fn.environment.RESILIENCE_TABLE_NAME && fn.label === 'platform-admin',
  );
  if (!admin) throw new Error('platform.json lists no admin function with its table');
  return admin.environment.RESILIENCE_TABLE_NAME;
}

function documents(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: platformFile().awsEndpoint,
      region: platformFile().region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // With the local OpenSearch node: the logs page searches it.
  platform = await startPlatformProcess(
    { LOCAL_OPENSEARCH: '1' },
    mkdtempSync(path.join(tmpdir(), 'msa-e2e-console-')),
  );
  reader = await requestToken(platform, 'demo-full');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // CI runs as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

describe('the operator console in a browser', () => {
  it('logs the demo operator in through the login page (code + PKCE) and lands on the circuits', async () => {
    const [operator] = platformFile().operators ?? [];
    expect(operator, 'platform.json lists a demo operator').toBeDefined();
    expect(platformFile().consoleUrl).toBe(`${platform.baseUrl}/console`);

    await page.goto(platformFile().consoleUrl!);
    // The console sent the browser to the authorization server's login page.
    await page.waitForSelector('input[name="username"]');
    const login = new URL(page.url());
    expect(login.pathname).toBe('/oauth2/authorize');
    expect(login.searchParams.get('client_id')).toBe('console');
    expect(login.searchParams.get('code_challenge_method')).toBe('S256');
    expect(login.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(login.searchParams.get('redirect_uri')).toBe(`${platform.baseUrl}/console/callback`);
    await screenshot('login');

    await page.fill('input[name="username"]', operator.username);
    await page.fill('input[name="password"]', operator.password);
    await page.click('button[type="submit"]');
    await page.waitForSelector('section[data-page="circuits"][data-loaded="true"]');
    // The code left the address bar; the tokens live in memory, none in the page's storage.
    expect(page.url()).toBe(`${platform.baseUrl}/console#/circuits`);
    const stored = await page.evaluate<{ local: string; session: string }>(
      '({ local: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }) })',
    );
    expect(stored.local).toBe('{}');
    expect(stored.session).toBe('{}');
    expect(await page.textContent('[data-role="scopes"]')).toContain('platform/admin');
  });

  it('shows both services healthy, as Eureka listed them', async () => {
    await show('services');
    for (const service of ['reading-list', 'recommendations']) {
      const summary = `article[data-service="${service}"] [data-role="summary"]`;
      // Health is what the control loop last set: wait for its first round if need be.
      await page
        .locator(summary)
        .filter({ hasText: /^[1-9]\d*\/\d+ healthy$/ })
        .waitFor({ timeout: 90_000 });
      expect(
        await page.textContent(`article[data-service="${service}"] [data-role="health"]`),
      ).toBe('HEALTHY');
    }
    await screenshot('services');
  });

  it('injects a fault into recommendations, watches its circuit turn OPEN on the page, then resets it', async () => {
    await show('faults');
    const form = 'form[data-service="recommendations"]';
    await page.fill(`${form} input[name="errorRate"]`, '1');
    await page.fill(`${form} input[name="latencyMs"]`, '0');
    await page.click(`${form} button[data-action="inject"]`);
    await page
      .locator(`${form} [data-role="current"]`)
      .filter({ hasText: /^Now: 100 % errors/ })
      .waitFor();
    await screenshot('faults');

    await show('circuits');
    // Traffic through reading-list, which calls recommendations, until the page shows the trip.
    const seen = await eventually(
      async () => {
        await fetch(`${platform.baseUrl}/reading-list?userId=grace`, {
          headers: { authorization: `Bearer ${reader}` },
        });
        return shownState('recommendations');
      },
      (state) => state === 'OPEN',
      90_000,
    );
    expect(seen.last).toBe('OPEN');
    const card = 'article.circuit[data-state="OPEN"]';
    expect(await page.getAttribute(`${card} circle`, 'class')).toBe('dot open');
    await screenshot('circuits-open');

    await page.click(`${card} button[data-action="reset"]`);
    await page
      .locator('article.circuit[data-circuit="recommendations"][data-state="CLOSED"]')
      .waitFor();
    expect(await page.textContent('#status')).toBe('Reset: recommendations');

    await show('faults');
    await page.click(`${form} button[data-action="clear"]`);
    await page
      .locator(`${form} [data-role="current"]`)
      .filter({ hasText: 'No fault injected.' })
      .waitFor();
  });

  it('shows markup in a circuit name as text: no element is created from it', async () => {
    const table = residentTable();
    const client = documents();
    await client.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: `circuit#${MARKUP_NAME}`,
          sk: 'state',
          name: MARKUP_NAME,
          state: 'CLOSED',
          version: 1,
          changedAt: Date.now(),
          reopenCount: 0,
          bucketStart: 0,
          windowMs: 60_000,
          calls: 3,
          failures: 1,
          prevCalls: 0,
          prevFailures: 0,
          streak: 0,
          probeSuccesses: 0,
        },
      }),
    );
    try {
      await show('circuits');
      // The live page picks the new circuit up on a later poll.
      const card = circuitCard(MARKUP_NAME);
      await card.waitFor({ timeout: 30_000 });
      expect(await card.locator('h2').textContent()).toBe(MARKUP_NAME);
      expect(await card.locator('h2 *').count()).toBe(0);
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.locator('b').count()).toBe(0);
      expect(await page.locator('body[data-injected]').count()).toBe(0);
      await screenshot('circuits');
    } finally {
      await client.send(
        new DeleteCommand({ TableName: table, Key: { pk: `circuit#${MARKUP_NAME}`, sk: 'state' } }),
      );
    }
  });

  it('finds one request’s log lines by its correlation ID on the logs page, markup in a title as text', async () => {
    const bearer = { authorization: `Bearer ${reader}` };
    // A book whose title holds markup: the logs may carry it, the page must never parse it.
    const add = await fetch(`${platform.baseUrl}/reading-list`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer },
      body: JSON.stringify({ userId: 'ada', bookId: 'b-markup', title: MARKUP_NAME, author: 'X' }),
    });
    expect(add.status).toBe(201);
    const correlationId = `e2e-console-${Date.now().toString(36)}`;
    const read = await fetch(`${platform.baseUrl}/reading-list?userId=ada`, {
      headers: { 'x-correlation-id': correlationId, ...bearer },
    });
    expect(read.status).toBe(200);

    await show('logs');
    await page.fill('input[name="correlationId"]', correlationId);
    const lines = page.locator('tr[data-role="log-line"]');
    // Shipping into OpenSearch takes seconds: search again until the request's lines are there.
    await eventually(
      async () => {
        await page.click('button[data-action="search"]');
        await page.locator('[data-role="summary"]').filter({ hasText: 'line' }).waitFor();
        return lines.allTextContents();
      },
      (found) => found.some((line) => line.includes('reading-list')),
      30_000,
    );
    const texts = await lines.allTextContents();
    expect(texts.length).toBeGreaterThan(0);
    for (const text of texts) expect(text).toContain(correlationId);
    expect(texts.some((text) => text.includes('Reading list served'))).toBe(true);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('b').count()).toBe(0);
    expect(await page.locator('body[data-injected]').count()).toBe(0);
    await screenshot('logs');
  });

  it('shows the configuration page: the demo’s feature flag and the platform’s values', async () => {
    await show('config');
    const row = page.locator('tr[data-flag="features/recommendations"]');
    await row.waitFor();
    expect(await row.locator('td').nth(2).textContent()).toBe('on');
    await screenshot('config');
  });

  it('switches the flag off from the page and on again: a new version each time, shown after', async () => {
    const row = page.locator('tr[data-flag="features/recommendations"]');
    const state = () => row.locator('td').nth(2).textContent();
    await row.locator('button[data-action="toggle"]').click();
    await eventually(state, (shown) => shown === 'off', 15_000);
    await row.locator('button[data-action="toggle"]').click();
    await eventually(state, (shown) => shown === 'on', 15_000);
  });

  it('links each request of the console to its trace', async () => {
    await show('traces');
    const links = await page.locator('section[data-page="traces"] a').all();
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      expect(await link.getAttribute('href')).toMatch(
        /^http:\/\/127\.0\.0\.1:\d+\/zipkin\/traces\/[0-9a-f]{32}$/,
      );
      expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    }
    await screenshot('traces');
  });

  it('ran without a single Content-Security-Policy violation', () => {
    expect(cspViolations).toEqual([]);
  });
});
