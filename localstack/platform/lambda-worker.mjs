// One local Lambda execution environment: a worker thread with its own process.env, loading the
// bundle exactly as deployed and serving one invocation at a time, as Lambda does.
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

const { entryFile, handlerName, functionName, memorySize, logGroupName } = workerData;
const require = createRequire(entryFile);
let handler;

function load() {
  if (handler) return handler;
  const module = require(entryFile);
  const found = handlerName.split('.').reduce((value, key) => (value == null ? value : value[key]), module);
  if (typeof found !== 'function') {
    throw Object.assign(new Error(`${handlerName} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  }
  handler = found;
  return handler;
}

parentPort.on('message', async ({ id, event, requestId, deadline, traceHeader, invokedFunctionArn }) => {
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
    console.error(JSON.stringify({ level: 'ERROR', message: 'Invoke Error', errorType: err.name, errorMessage: err.message }));
    parentPort.postMessage({ id, ok: false, error: { errorType: err.name, errorMessage: err.message } });
  }
});
