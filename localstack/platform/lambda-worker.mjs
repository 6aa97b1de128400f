// One local Lambda execution environment: a worker thread with its own process.env, loading the
// bundle exactly as deployed and serving one invocation at a time, as Lambda does.
import Module, { createRequire } from 'node:module';
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
  async ({ id, warm, event, requestId, deadline, traceHeader, invokedFunctionArn }) => {
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
    try {
      const result = await load()(event, context);
      parentPort.postMessage({ id, ok: true, result: result === undefined ? null : result });
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
      });
    }
  },
);
