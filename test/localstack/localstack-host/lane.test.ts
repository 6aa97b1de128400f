import { describe, expect, it } from 'vitest';
import { summarize } from '../../../localstack/localstack-host/lane';

const endpoints = { localstack: 'http://127.0.0.1:4600', moto: 'http://127.0.0.1:5000' };

function lines(reports: Parameters<typeof summarize>[0]) {
  const printed: string[] = [];
  const problems = summarize(reports, endpoints, (line) => printed.push(line));
  return { printed, problems };
}

describe('the LocalStack lane summary', () => {
  it('names each file, its services and where they went, counting LocalStack queue URLs as LocalStack', () => {
    const { printed, problems } = lines([
      {
        file: 'test/integration/b.test.ts',
        requests: { dynamodb: { 'http://127.0.0.1:5000': 3 } },
      },
      {
        file: 'test/integration/a.test.ts',
        requests: {
          sqs: { 'http://127.0.0.1:4600': 1, 'http://localhost:4600': 4 },
          ssm: { 'http://127.0.0.1:4600': 2 },
        },
      },
    ]);
    expect(printed).toEqual([
      'localstack-lane LOCALSTACK test/integration/a.test.ts  sqs->LocalStack(5) ssm->LocalStack(2)',
      'localstack-lane elsewhere  test/integration/b.test.ts  dynamodb->moto(3)',
      'localstack-lane 1 of 2 test files ran against LocalStack',
    ]);
    expect(problems).toEqual([]);
  });

  it('fails a served service sent to moto and an unserved one sent to LocalStack', () => {
    const { problems } = lines([
      {
        file: 'x.test.ts',
        requests: {
          ssm: { 'http://127.0.0.1:5000': 1 },
          dynamodb: { 'http://127.0.0.1:4600': 2 },
        },
      },
    ]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/dynamodb went to LocalStack, which does not serve it/);
    expect(problems[1]).toMatch(/ssm went to moto/);
  });

  it('fails a run in which no test reached LocalStack', () => {
    const { problems } = lines([
      { file: 'y.test.ts', requests: { dynamodb: { 'http://127.0.0.1:5000': 1 } } },
    ]);
    expect(problems).toEqual(['no test file reached LocalStack']);
  });
});
