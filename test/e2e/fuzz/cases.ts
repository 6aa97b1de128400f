import type { Random } from './prng';

/** A route as the synthesized template declares it. */
export interface FuzzRoute {
  readonly method: string;
  readonly resourcePath: string;
  /** `NONE` (public) or `CUSTOM` (behind the token authorizer). */
  readonly authorizationType: string;
}

export interface FuzzTokens {
  /** demo-full: reading-list read/write, recommendations read. */
  readonly full: string;
  /** demo-none: a valid token with no scope. */
  readonly none: string;
  /** demo-admin: every scope, platform/admin included. */
  readonly admin: string;
  /** Every demo client's id and secret, for token-endpoint cases that must fail. */
  readonly clients: readonly { clientId: string; clientSecret: string }[];
  /** Function names the local Lambda API serves. */
  readonly functionNames: readonly string[];
}

interface CaseBase {
  readonly id: number;
  /** What the case tries, for the failure report. */
  readonly label: string;
  readonly target: 'gateway' | 'lambda';
  /**
   * The case can only be refused (4xx): invalid input, a bad token or an unknown route. The
   * others are harmless reads (health, metadata, admin lists) that may answer 200.
   */
  readonly mustReject: boolean;
}

export interface HttpCase extends CaseBase {
  readonly kind: 'http';
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
}

/** Bytes no HTTP client would send, written to a socket as they are. */
export interface RawCase extends CaseBase {
  readonly kind: 'raw';
  readonly bytes: Buffer;
}

export type FuzzCase = HttpCase | RawCase;

/** Member and parameter names that are built-in object properties. */
export const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  '__defineGetter__',
] as const;

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];
/** Methods Node's parser knows but no route uses. */
const ODD_METHODS = ['TRACE', 'PROPFIND', 'MKCOL', 'PURGE', 'LOCK', 'SEARCH', 'REPORT', 'LINK'];

/** Names no service, circuit or fault record has (the platform starts with none of them). */
const UNKNOWN_NAMES = [
  ...PROTOTYPE_NAMES.filter((name) => /^[a-z][a-zA-Z]*$/.test(name)),
  'nonexistent-svc',
  'phantom',
  'reading-list-2',
  'a',
  'x'.repeat(40),
];

/** Path segment values that are not valid names anywhere (decoded once by the gateway). */
const JUNK_SEGMENTS = [
  '__proto__',
  '%5F%5Fproto%5F%5F',
  '%00',
  '%0A',
  '%E2%80%AE',
  '%F0%9F%98%80',
  '%C0%AF',
  '%252F',
  '..',
  '%2e%2e',
  'a%20b',
  'UPPER',
  'x'.repeat(300),
  '%ZZ',
  '%E0%A4%A',
  '%',
  ';a=b',
  '*',
  '~',
  '"quoted"',
];

const QUERY_VALUES = [
  '',
  'x',
  '%ZZ',
  '%',
  '%E0%A4%A',
  '%00',
  '%0D%0A',
  '%E2%80%AE',
  '+',
  '1e-131',
  '1e999',
  '-0',
  'NaN',
  'x'.repeat(2000),
  '%22,%22title%22:%22injected',
  '\\',
];

/** Numbers at the edges of what JSON, JavaScript and DynamoDB hold. */
const NUMBERS = [
  '0',
  '-0',
  '1e-131',
  '1e-130',
  '5e-324',
  '1e126',
  '1e308',
  '1e999',
  '-1e999',
  '9007199254740993',
  '0.30000000000000004',
  '-1',
  '1.5',
  '2',
  '1e21',
  '123456789012345678901234567890123456789',
];

/** Bodies that are not JSON, or are JSON of the wrong kind. */
const NOT_OBJECTS = [
  '',
  'null',
  'true',
  '[]',
  '"string"',
  '42',
  '{',
  '{"a":',
  '{"a":1,}',
  "{'a':1}",
  '{"a":1}{"b":2}',
  '\uFEFF{}',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
];

const TEXT_ATTACKS = [
  'Du\u0000ne',
  'Dune\nPart 2',
  'Dune\r',
  '\u202Eenud',
  'Dune\u2066',
  'Dune\u0085',
  'Dune\u2028',
  '',
  '   ',
  'x'.repeat(301),
];

/** A string whose UTF-16 code units are the UTF-8 bytes of `text`: how a header carries it. */
function utf8Bytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

export interface GeneratedCases {
  readonly cases: FuzzCase[];
  /** The bad Authorization values used, for the log scan. */
  readonly badTokens: string[];
}

/**
 * Every request of a fuzz run, from the route table and a seeded random source. A request that
 * carries a valid token with the route's scope always holds input the route must refuse, so
 * that nothing it sends may change state; requests with a bad or scope-less token, or to a
 * route that does not exist, may hold anything.
 */
export function generateCases(
  routes: readonly FuzzRoute[],
  tokens: FuzzTokens,
  random: Random,
  minimum: number,
): GeneratedCases {
  const cases: FuzzCase[] = [];
  let nextId = 0;
  const add = (item: Omit<HttpCase, 'id' | 'kind'> | Omit<RawCase, 'id' | 'kind'>) => {
    cases.push(
      'bytes' in item
        ? { ...item, id: nextId++, kind: 'raw' }
        : { ...(item as Omit<HttpCase, 'id' | 'kind'>), id: nextId++, kind: 'http' },
    );
  };

  const [header, payload, signature] = tokens.full.split('.');
  const forgedPayload = Buffer.from(
    JSON.stringify({
      ...JSON.parse(Buffer.from(payload, 'base64url').toString()),
      scope: 'platform/admin reading-list/read reading-list/write',
    }),
  ).toString('base64url');
  const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
  const badTokens = [
    'Bearer',
    'Bearer ',
    `Bearer ${header}.${payload}.${flipped}`,
    `Bearer ${header}.${forgedPayload}.${signature}`,
    `Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${forgedPayload}.`,
    `Bearer ${header}.${payload}`,
    `Bearer ${tokens.full}.${signature}`,
    `Bearer not.a.jwt`,
    `Bearer ${'a'.repeat(8000)}`,
    `Bearer ${tokens.full} ${tokens.admin}`,
    `Basic ${Buffer.from('demo-admin:wrong').toString('base64')}`,
    `Token ${tokens.full}`,
    `Bearer ${tokens.full.replace(/\./g, '%2E')}`,
    `Bearer ${Buffer.from(tokens.full).toString('base64')}`,
    `Bearer ${'.'.repeat(3)}`,
    `Bearer __proto__`,
  ];
  /** Token shapes under which no protected route may run: bad ones, none, and no scope. */
  const unprivileged = (): Record<string, string> => {
    const roll = random.int(badTokens.length + 3);
    if (roll < badTokens.length) return { authorization: badTokens[roll] };
    if (roll === badTokens.length) return { authorization: `Bearer ${tokens.none}` };
    return {};
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  const fill = (resourcePath: string, segment: () => string) =>
    resourcePath.replace(/\{[^}]+\}/g, () => segment());
  const junkQuery = () => {
    const pairs: string[] = [];
    for (let index = random.int(4); index >= 0; index--) {
      const name = random.chance(0.5) ? random.pick(PROTOTYPE_NAMES) : random.pick(QUERY_VALUES);
      pairs.push(`${name}=${random.pick(QUERY_VALUES)}`);
    }
    return pairs.join('&');
  };
  const junkHeaders = (): Record<string, string> => {
    const headers: Record<string, string> = {};
    if (random.chance(0.4)) headers[random.pick(PROTOTYPE_NAMES)] = random.pick(['x', '', '{}']);
    if (random.chance(0.2))
      headers['x-correlation-id'] = random.pick(['a b', utf8Bytes('💥 ü'), 'x'.repeat(500), '\t']);
    if (random.chance(0.2))
      headers['content-type'] = random.pick([
        'application/json; charset=utf-16',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json;;;',
        '*/*',
      ]);
    if (random.chance(0.1)) headers['content-encoding'] = 'gzip';
    if (random.chance(0.1)) headers['x-amz-invocation-type'] = 'Event';
    return headers;
  };
  const junkBody = (): Buffer | undefined => {
    if (random.chance(0.3)) return undefined;
    if (random.chance(0.5)) return Buffer.from(random.pick(NOT_OBJECTS));
    return Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, random.int(256)]);
  };
  const pathVariant = (path: string) =>
    random.pick([
      path,
      path,
      `${path}/`,
      path.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`),
      path.toUpperCase(),
      `${path}//`,
      `/${path}`,
      `${path}/${random.pick(JUNK_SEGMENTS)}`,
      `${path}%2F${random.pick(UNKNOWN_NAMES)}`,
      `${path};jsessionid=1`,
    ]);

  // 1. Requests that must be refused even with a valid token holding the route's scope.
  const invalidFor: Record<
    string,
    () => {
      token: string;
      path?: string;
      query?: string;
      headers?: Record<string, string>;
      body?: Buffer;
    }
  > = {
    'GET /reading-list': () => {
      const userId = random.pick([
        '',
        'a%20b',
        'x'.repeat(65),
        '%C3%BC',
        '%00',
        '..%2Fx',
        '%3Cscript%3E',
        '%E2%80%AE',
        '1e-131%20',
        '%ZZ',
        'a%0Ab',
      ]);
      const extra = random.chance(0.5) ? `${random.pick(PROTOTYPE_NAMES)}=x&` : '';
      return {
        token: random.pick([tokens.full, tokens.admin]),
        query: random.chance(0.1) ? extra.replace(/&$/, '') : `${extra}userId=ok&userId=${userId}`,
      };
    },
    'POST /reading-list': () => {
      const valid = { userId: 'fuzz', bookId: 'fuzz-book', title: 'Fuzz', author: 'Seed' };
      const breakers: (() => string)[] = [
        () => JSON.stringify({ ...valid, title: random.pick(TEXT_ATTACKS) }),
        () => JSON.stringify({ ...valid, author: random.pick(TEXT_ATTACKS) }),
        () => JSON.stringify({ ...valid, userId: random.pick(['', 'a b', 'x'.repeat(65)]) }),
        () =>
          JSON.stringify({ ...valid, bookId: random.pick(['UPPER', '', 'a/b', 'x'.repeat(129)]) }),
        () => JSON.stringify({ ...valid, title: undefined }),
        () => `{"userId":"fuzz","bookId":"fuzz-book","title":${random.pick(NUMBERS)}}`,
        () => `{"userId":${random.pick(NUMBERS)},"bookId":"b","title":"t"}`,
        () =>
          `{"__proto__":{"title":"Fuzz"},"constructor":{"prototype":{"x":1}},"userId":"fuzz","bookId":"b"}`,
        () => random.pick(NOT_OBJECTS),
        () => `${'['.repeat(5000)}${']'.repeat(5000)}`,
        () => `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`,
      ];
      const body = random.pick(breakers)();
      return {
        token: random.pick([tokens.full, tokens.admin]),
        headers: {
          'content-type': random.chance(0.9) ? 'application/json' : 'text/plain',
        },
        body: Buffer.from(body),
      };
    },
    'GET /recommendations': () => ({
      token: random.pick([tokens.full, tokens.admin]),
      query: `${random.chance(0.5) ? `${random.pick(PROTOTYPE_NAMES)}=1&` : ''}limit=3&limit=${random.pick(['0', '11', 'abc', '-1', '1.5', '1e999', '', '%20', 'NaN', '1e-131'])}`,
    }),
    'POST /admin/circuits/{name}/force-open': () => circuitCase('force-open'),
    'POST /admin/circuits/{name}/force-closed': () => circuitCase('force-closed'),
    'POST /admin/circuits/{name}/reset': () => circuitCase('reset'),
    'PUT /admin/faults/{service}': () => {
      const unknownService = random.chance(0.6);
      const service = unknownService
        ? random.pick(UNKNOWN_NAMES)
        : random.pick(['recommendations', 'reading-list']);
      const numeric = () => random.pick(NUMBERS);
      const bodies = [
        `{"errorRate":${numeric()},"latencyMs":${random.pick(['-1', '30001', '1.5', '1e21', '1e-131', '9007199254740993'])}}`,
        `{"errorRate":${random.pick(['1e-131', '1.0000001', '-0.1', '1e999', '"0.5"', 'null', '[]'])},"latencyMs":0}`,
        `{"errorRate":0.1}`,
        `{"errorRate":0.1,"latencyMs":0,"extra":1}`,
        `{"errorRate":0.1,"latencyMs":0,"__proto__":{"x":1}}`,
        random.pick(NOT_OBJECTS),
      ];
      const valid = ['{"errorRate":1e-130,"latencyMs":0}', '{"errorRate":0,"latencyMs":0}'];
      return {
        token: tokens.admin,
        path: `/admin/faults/${service}`,
        headers: { 'content-type': 'application/json' },
        // A valid body only for a service that does not exist (a 404).
        body: Buffer.from(
          unknownService && random.chance(0.3) ? random.pick(valid) : random.pick(bodies),
        ),
      };
    },
    'DELETE /admin/faults/{service}': () => ({
      token: tokens.admin,
      path: `/admin/faults/${random.chance(0.7) ? random.pick(UNKNOWN_NAMES) : random.pick(JUNK_SEGMENTS)}`,
    }),
  };
  function circuitCase(action: string) {
    const name = random.chance(0.6) ? random.pick(UNKNOWN_NAMES) : random.pick(JUNK_SEGMENTS);
    return { token: tokens.admin, path: `/admin/circuits/${name}/${action}` };
  }
  /** Reads an admin may make: they may answer 200 but change nothing. */
  const harmlessAdminReads = new Set([
    'GET /admin/circuits',
    'GET /admin/faults',
    'GET /admin/services',
  ]);

  for (const route of routes) {
    const key = `${route.method} ${route.resourcePath}`;
    const invalid = invalidFor[key];
    if (!invalid) continue;
    for (let index = 0; index < 30; index++) {
      const input = invalid();
      const path = pathVariant(input.path ?? fill(route.resourcePath, () => 'x'));
      // A path variant that no longer names the route is refused anyway.
      add({
        target: 'gateway',
        label: `${key}: invalid input with a valid token`,
        mustReject: true,
        method: route.method,
        path: input.query !== undefined ? `${path}?${input.query}` : path,
        headers: { ...junkHeaders(), ...input.headers, ...bearer(input.token) },
        body: input.body,
      });
    }
  }

  // 2. Oversized and deeply nested bodies on every route that takes a body.
  for (const route of routes.filter((r) => r.method === 'POST' || r.method === 'PUT')) {
    const path = fill(route.resourcePath, () => random.pick(UNKNOWN_NAMES));
    const isToken = route.resourcePath === '/oauth2/token';
    const token = isToken
      ? {}
      : bearer(route.resourcePath.startsWith('/admin') ? tokens.admin : tokens.full);
    const contentType = isToken ? 'application/x-www-form-urlencoded' : 'application/json';
    const big = (size: number) =>
      isToken
        ? Buffer.from(`grant_type=client_credentials&x=${'a'.repeat(size)}`)
        : Buffer.from(`{"userId":"fuzz","bookId":"b","title":"${'a'.repeat(size)}"}`);
    for (const [label, body] of [
      ['a 1 MB body', big(1024 * 1024)],
      [
        'a 1 MB body of prototype keys',
        Buffer.from(
          `{${Array.from({ length: 40_000 }, (_, i) => `"${PROTOTYPE_NAMES[i % PROTOTYPE_NAMES.length]}${i}":{}`).join(',')}}`,
        ),
      ],
      ['nesting 10,000 deep', Buffer.from(`${'['.repeat(10_000)}${']'.repeat(10_000)}`)],
      [
        'nesting 100,000 objects deep',
        Buffer.from(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`),
      ],
    ] as const) {
      add({
        target: 'gateway',
        label: `${route.method} ${route.resourcePath}: ${label}`,
        mustReject: true,
        method: route.method,
        path,
        headers: { 'content-type': contentType, ...token },
        body,
      });
    }
  }
  // 10 MB: exactly API Gateway's limit (past Lambda's 6 MB), and one byte over it.
  const bodyRoute = routes.find((r) => r.method === 'POST' && r.authorizationType === 'CUSTOM');
  if (bodyRoute) {
    for (const size of [10 * 1024 * 1024, 10 * 1024 * 1024 + 1]) {
      add({
        target: 'gateway',
        label: `${bodyRoute.method} ${bodyRoute.resourcePath}: a body of ${size} bytes`,
        mustReject: true,
        method: bodyRoute.method,
        path: fill(bodyRoute.resourcePath, () => 'x'),
        headers: { 'content-type': 'application/json', ...bearer(tokens.full) },
        body: Buffer.alloc(size, 0x20),
      });
    }
  }

  // 3. The token endpoint: forms that must fail (never a client's real secret).
  if (routes.some((r) => r.method === 'POST' && r.resourcePath === '/oauth2/token')) {
    const client = () => random.pick(tokens.clients);
    const forms: (() => { headers: Record<string, string>; body: string })[] = [
      () => ({
        headers: {
          authorization: `Basic ${Buffer.from(`${client().clientId}:${client().clientSecret}x`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      }),
      () => ({
        headers: {},
        body: `grant_type=client_credentials&client_id=${client().clientId}&client_secret=wrong`,
      }),
      () => ({
        headers: {},
        body: `${PROTOTYPE_NAMES.map((name) => `${encodeURIComponent(name)}=x`).join('&')}&grant_type=client_credentials`,
      }),
      () => ({ headers: {}, body: 'grant_type=client_credentials&grant_type=client_credentials' }),
      () => ({ headers: {}, body: '__proto__=a&__proto__=b' }),
      () => ({ headers: {}, body: 'grant_type=password&username=a&password=b' }),
      () => ({ headers: {}, body: `grant_type=${random.pick(QUERY_VALUES)}` }),
      () => ({
        headers: { authorization: random.pick(badTokens) },
        body: 'grant_type=client_credentials',
      }),
      () => ({ headers: { authorization: 'Basic %%%' }, body: 'grant_type=client_credentials' }),
      () => ({
        headers: {},
        body: `grant_type=client_credentials&client_id=${client().clientId}&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=${badTokens[2].slice(7)}`,
      }),
      () => ({ headers: {}, body: '%ZZ=%ZZ&grant_type=client_credentials' }),
      () => ({
        headers: {},
        body: `grant_type=client_credentials&scope=${encodeURIComponent('a"b\\c')}`,
      }),
      () => ({ headers: {}, body: `x=${'a'.repeat(9000)}` }),
    ];
    for (let index = 0; index < 90; index++) {
      const form = random.pick(forms)();
      const contentType = random.chance(0.9)
        ? 'application/x-www-form-urlencoded'
        : random.pick(['application/json', 'text/plain', 'multipart/form-data; boundary=x']);
      add({
        target: 'gateway',
        label: 'POST /oauth2/token: a token request that must fail',
        mustReject: true,
        method: 'POST',
        path: '/oauth2/token',
        headers: { 'content-type': contentType, ...form.headers },
        body: Buffer.from(form.body),
      });
    }
  }

  // 4. The Lambda Invoke API, never signed: nothing may be invoked.
  const lambdaNames = [
    '%ZZ',
    '%',
    'a%2Fb',
    '%00',
    'x'.repeat(171),
    ...PROTOTYPE_NAMES,
    ...tokens.functionNames,
    'arn:aws:lambda:us-east-1:123456789012:function:nothing',
  ];
  for (let index = 0; index < 60; index++) {
    const name = random.pick(lambdaNames);
    const query = random.chance(0.3)
      ? `?Qualifier=${random.pick(['%25', '$LATEST', 'x'.repeat(200), '__proto__'])}`
      : '';
    add({
      target: 'lambda',
      label: 'Lambda Invoke, unsigned or malformed',
      mustReject: true,
      method: random.chance(0.85) ? 'POST' : random.pick(METHODS),
      path: random.chance(0.9)
        ? `/2015-03-31/functions/${name}/invocations${query}`
        : `/2015-03-31/functions/${name}`,
      headers: {
        'content-type': 'application/json',
        ...(random.chance(0.3)
          ? { 'x-amz-invocation-type': random.pick(['Sometimes', '', 'DryRun']) }
          : {}),
        ...(random.chance(0.2) ? { authorization: 'AWS4-HMAC-SHA256 Signature=zz' } : {}),
      },
      body: Buffer.from(random.pick(NOT_OBJECTS)),
    });
  }

  // 5. What only a raw socket can send, to both servers.
  const raw = (text: string) => Buffer.from(text, 'latin1');
  const rawRequests: [label: string, bytes: Buffer, mayPass?: boolean][] = [
    ['a lower-case method', raw('get /reading-list HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['an unknown method', raw('FROB /reading-list HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['NUL in the path', raw('GET /reading\0list HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['raw UTF-8 in the path', Buffer.from('GET /bücher HTTP/1.1\r\nHost: x\r\n\r\n', 'utf8')],
    ['DEL in the query', raw('GET /reading-list/health?x=\x7f HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['a space in a header name', raw('GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n')],
    ['NUL in a header value', raw('GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n')],
    ['a folded header', raw('GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n')],
    ['bare LF line ends', raw('GET /reading-list/health HTTP/1.1\nHost: x\n\n')],
    [
      'Content-Length with Transfer-Encoding',
      raw(
        'POST /reading-list HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ),
    ],
    [
      'two different Content-Lengths',
      raw(
        'POST /reading-list HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      ),
    ],
    [
      'a negative Content-Length',
      raw('POST /reading-list HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'),
    ],
    [
      'a malformed chunk size',
      raw('POST /reading-list HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'),
    ],
    [
      'a short chunk',
      raw(
        'POST /reading-list HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab\r\n0\r\n\r\n',
      ),
    ],
    ['headers over 16 KB', raw(`GET / HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`)],
    [
      '200 headers of prototype names (a public read: may answer 200)',
      raw(
        `GET /reading-list/health HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 200 }, (_, i) => `${PROTOTYPE_NAMES[i % PROTOTYPE_NAMES.length]}: ${i}\r\n`).join('')}\r\n`,
      ),
      true,
    ],
    [
      'a bogus Expect',
      raw('POST /reading-list HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\nContent-Length: 0\r\n\r\n'),
    ],
    ['CONNECT', raw('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')],
    ['no Host header', raw('GET /reading-list/health HTTP/1.1\r\n\r\n')],
    ['two Host headers', raw('GET /reading-list/health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n')],
    ['an HTTP/2 preface', raw('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')],
    ['HTTP/9.9', raw('GET / HTTP/9.9\r\nHost: x\r\n\r\n')],
    ['a tab in the request line', raw('GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['an asterisk target', raw('OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['an authority target', raw('GET example.com:80 HTTP/1.1\r\nHost: x\r\n\r\n')],
    [
      'an absolute target to an unknown path',
      raw('GET http://evil.example/admin/secret HTTP/1.1\r\nHost: x\r\n\r\n'),
    ],
    ['TRACE', raw('TRACE /reading-list HTTP/1.1\r\nHost: x\r\nCookie: secret\r\n\r\n')],
  ];
  for (const [label, bytes, mayPass] of rawRequests) {
    for (const target of ['gateway', 'lambda'] as const) {
      add({
        target,
        label: `raw: ${label}`,
        mustReject: !(mayPass && target === 'gateway'),
        bytes,
      });
    }
  }

  // 6. Unknown routes, whatever the token: a 404 problem, the authorizer never asked.
  const knownPaths = new Set(routes.map((r) => r.resourcePath));
  for (let index = 0; index < 120; index++) {
    const segments = Array.from({ length: 1 + random.int(4) }, () =>
      random.chance(0.5) ? random.pick(UNKNOWN_NAMES) : random.pick(JUNK_SEGMENTS),
    );
    const path = `/${segments.join('/')}`;
    if (knownPaths.has(path)) continue;
    add({
      target: 'gateway',
      label: 'an unknown route',
      mustReject: true,
      method: random.pick([...METHODS, ...ODD_METHODS]),
      path: random.chance(0.5) ? `${path}?${junkQuery()}` : path,
      headers: {
        ...junkHeaders(),
        ...random.pick([
          {},
          bearer(tokens.admin),
          bearer(tokens.full),
          { authorization: random.pick(badTokens) },
        ]),
      },
      body: junkBody(),
    });
  }

  // 7. Every route with every method, path variant, query, header and body, under tokens that
  // cannot pass (bad, none, no scope), until the run reaches its size.
  while (cases.length < minimum && routes.length > 0) {
    const route = random.pick(routes);
    const key = `${route.method} ${route.resourcePath}`;
    const method = random.chance(0.6) ? route.method : random.pick([...METHODS, ...ODD_METHODS]);
    const sameMethod = method === route.method;
    const isPublic = route.authorizationType !== 'CUSTOM';
    // Public reads, and admin reads with an admin token, may answer 200: they change nothing.
    const adminRead = harmlessAdminReads.has(key) && random.chance(0.3);
    const headers = {
      ...junkHeaders(),
      ...(adminRead
        ? bearer(tokens.admin)
        : isPublic
          ? random.pick([{}, unprivileged()])
          : unprivileged()),
    };
    const path = pathVariant(
      fill(route.resourcePath, () => random.pick([...UNKNOWN_NAMES, ...JUNK_SEGMENTS])),
    );
    const publicRead = isPublic && route.method === 'GET';
    const isTokenEndpoint = route.resourcePath === '/oauth2/token';
    add({
      target: 'gateway',
      label: `${key} as ${method}, no privilege`,
      // The token endpoint with no valid credentials, and every protected route, must refuse.
      mustReject: !(sameMethod && (publicRead || adminRead)) || isTokenEndpoint,
      method,
      path: random.chance(0.6) ? `${path}?${junkQuery()}` : path,
      headers,
      body: method === 'GET' || method === 'HEAD' ? undefined : junkBody(),
    });
  }
  return { cases, badTokens };
}
