import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { UndeliveredDocument } from './bulk-delivery';

/** SQS accepts 256 KiB per message; a longer document is kept cut, with its ID and reason whole. */
const MAX_BODY_BYTES = 250 * 1024;

/** The body of one dead letter: enough to redrive the document into its index. */
export function deadLetterBody(letter: UndeliveredDocument): string {
  const { document, reason, status, attempts } = letter;
  const body = JSON.stringify({
    index: document.index,
    id: document.id,
    reason,
    status,
    attempts,
    source: document.source,
  });
  if (Buffer.byteLength(body) <= MAX_BODY_BYTES) return body;
  return JSON.stringify({
    index: document.index,
    id: document.id,
    reason,
    status,
    attempts,
    truncated: true,
    source: JSON.stringify(document.source).slice(0, MAX_BODY_BYTES / 2),
  });
}

/**
 * Puts undelivered documents on the dead-letter queue, ten per call, retrying entries SQS
 * refused once; rejects if any is still not accepted, so the invocation fails and Lambda's own
 * retries and on-failure destination keep the whole batch. Answers how many were accepted.
 */
export async function sendDeadLetters(
  sqs: SQSClient,
  queueUrl: string,
  letters: readonly UndeliveredDocument[],
): Promise<number> {
  let accepted = 0;
  for (let start = 0; start < letters.length; start += 10) {
    let entries = letters.slice(start, start + 10).map((letter, index) => ({
      Id: String(index),
      MessageBody: deadLetterBody(letter),
    }));
    for (let round = 0; round < 2 && entries.length > 0; round++) {
      const answer = await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }),
      );
      accepted += answer.Successful?.length ?? 0;
      const failed = new Set((answer.Failed ?? []).map((failure) => failure.Id));
      entries = entries.filter((entry) => failed.has(entry.Id));
    }
    if (entries.length > 0) {
      throw new Error(`The dead-letter queue refused ${entries.length} documents`);
    }
  }
  return accepted;
}
