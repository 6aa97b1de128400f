import type { ServerResponse } from 'node:http';
import { send } from './http-util';

/**
 * Answers as the Lambda API answers a refused request: the error type in `x-amzn-errortype`,
 * a JSON body with the message (the AWS SDK reads both).
 */
export function lambdaError(
  response: ServerResponse,
  status: number,
  type: string,
  message: string,
): void {
  send(
    response,
    status,
    { 'content-type': 'application/json', 'x-amzn-errortype': type },
    JSON.stringify({ Type: 'User', message }),
  );
}
