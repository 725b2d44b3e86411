/**
 * One instance of the scoring function (functions/score) as a part of `npm start`: its own process and its own
 * model, as a Lambda instance has, serving one invocation at a time on SCORING_INSTANCE_PORT. The scoring pool
 * (local/scoringPool.ts) routes the Invoke API's requests to the instances that are free. The model is loaded and
 * run once before the instance says it is ready, so the first query does not wait for it.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Context } from 'aws-lambda';
import { handler } from '../functions/score/handler.js';
import type { PartMessage } from './partMessages.js';

const port = Number(process.env.SCORING_INSTANCE_PORT ?? 0);
const functionName = process.env.SCORING_FUNCTION_NAME ?? 'score';
/** The function's timeout (serverless.yml's `score`), which bounds getRemainingTimeInMillis. */
const timeoutMs = 15_000;

function contextFor(requestId: string): Context {
  const start = Date.now();
  return {
    awsRequestId: requestId,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1769', // serverless.yml's scoringMemorySize
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - start)),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** What Lambda answers an invocation: the result, or the error as `{errorType, errorMessage}` flagged Unhandled. */
async function invoke(body: string, requestId: string): Promise<{ headers: Record<string, string>; text: string }> {
  try {
    const event: unknown = JSON.parse(body);
    const result = await handler(event, contextFor(requestId));
    return { headers: {}, text: JSON.stringify(result) };
  } catch (error) {
    const { name, message } = error as Error;
    return {
      headers: { 'x-amz-function-error': 'Unhandled' },
      text: JSON.stringify({ errorType: name, errorMessage: message }),
    };
  }
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const requestId = String(req.headers['x-amzn-requestid'] ?? randomUUID());
    void invoke(Buffer.concat(chunks).toString('utf8'), requestId).then(({ headers, text }) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': requestId, ...headers });
      res.end(text);
    });
  });
});

// A model that cannot load or run fails the part here, with its reason, rather than every shard later.
const warmUp = await invoke(
  JSON.stringify({ pairs: [['warm up', 'warm up']], deadline: Date.now() + 60_000 }),
  'warm-up',
);
if (warmUp.headers['x-amz-function-error']) {
  process.stderr.write(`the scoring function did not warm up: ${warmUp.text}\n`);
  process.exit(1);
}
server.listen(port, '127.0.0.1', () => {
  const send = (message: PartMessage) => process.send?.(message);
  send({ type: 'ready', url: `http://127.0.0.1:${(server.address() as { port: number }).port}` });
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
