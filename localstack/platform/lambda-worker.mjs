// One local Lambda execution environment: a worker thread with its own process.env, loading the
// bundle exactly as deployed and serving one invocation at a time, as Lambda does.
import { subscribe } from 'node:diagnostics_channel';
import Module, { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { URL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const { entryFile, handlerName, functionName, memorySize, logGroupName, runtimeModules } =
  workerData;
// The Lambda Node.js runtime provides the AWS SDK v3 through NODE_PATH (bundles leave it out);
// the project's node_modules plays that part here. Each worker has its own loader state, so
// re-reading NODE_PATH affects this environment only.
process.env.NODE_PATH = runtimeModules;
Module._initPaths();
const require = createRequire(entryFile);
let handler;

// Log lines travel on the same channel as results, so an invocation's lines are written to its
// log before its result is handed back: a caller that got an answer can read the log at once.
for (const stream of [process.stdout, process.stderr]) {
  stream.write = (chunk, encoding, callback) => {
    const text =
      typeof chunk === 'string'
        ? chunk
        : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8');
    parentPort.postMessage({ log: text });
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') done();
    return true;
  };
}

// A measured invocation (the gateway's request breakdown) records each outgoing round trip: to the
// AWS emulator (by operation), the local Lambda API or the AppConfig data stand-in.
let measured;
const started = new WeakMap();
const destinations = [
  ['lambda', process.env.AWS_ENDPOINT_URL_LAMBDA],
  ['appconfigdata', process.env.AWS_ENDPOINT_URL_APPCONFIGDATA],
  ['emulator', process.env.AWS_ENDPOINT_URL],
].flatMap(([name, url]) => (url ? [[name, new URL(url).host]] : []));
subscribe('http.client.request.start', ({ request }) => {
  if (measured) started.set(request, performance.now());
});
subscribe('http.client.response.finish', ({ request }) => {
  const at = started.get(request);
  if (at === undefined || !measured) return;
  const host = request.getHeader('host');
  const destination = destinations.find(([, known]) => known === host)?.[0] ?? 'other';
  const target = request.getHeader('x-amz-target');
  const operation = target ? String(target) : `${request.method} ${request.path.split('?')[0]}`;
  measured.push({ to: `${destination} ${operation}`, ms: performance.now() - at });
});

function load() {
  if (handler) return handler;
  const module = require(entryFile);
  const found = handlerName
    .split('.')
    .reduce((value, key) => (value == null ? value : value[key]), module);
  if (typeof found !== 'function') {
    throw Object.assign(new Error(`${handlerName} is undefined or not exported`), {
      name: 'Runtime.HandlerNotFound',
    });
  }
  handler = found;
  return handler;
}

parentPort.on(
  'message',
  async ({ id, warm, event, requestId, deadline, traceHeader, invokedFunctionArn, measure }) => {
    if (warm) {
      // Loading the module is the cold start; doing it ahead keeps first calls within timeouts.
      try {
        load();
        parentPort.postMessage({ id, ok: true, result: null });
      } catch (error) {
        parentPort.postMessage({
          id,
          ok: false,
          error: { errorType: error.name, errorMessage: error.message },
        });
      }
      return;
    }
    process.env._X_AMZN_TRACE_ID = traceHeader ?? '';
    const context = {
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn,
      memoryLimitInMB: String(memorySize),
      awsRequestId: requestId,
      logGroupName,
      logStreamName: `local/${functionName}`,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    measured = measure ? [] : undefined;
    const handlerStarted = performance.now();
    const breakdown = () =>
      measured && { handlerMs: performance.now() - handlerStarted, roundTrips: measured };
    try {
      const result = await load()(event, context);
      parentPort.postMessage({
        id,
        ok: true,
        result: result === undefined ? null : result,
        breakdown: breakdown(),
      });
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      // Lambda logs an uncaught error to the function's log, then answers with its type and message.
      console.error(
        JSON.stringify({
          level: 'ERROR',
          message: 'Invoke Error',
          errorType: err.name,
          errorMessage: err.message,
        }),
      );
      parentPort.postMessage({
        id,
        ok: false,
        error: { errorType: err.name, errorMessage: err.message },
        breakdown: breakdown(),
      });
    } finally {
      measured = undefined;
    }
  },
);
