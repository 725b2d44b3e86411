/**
 * npm run endpoint -- --model <id> [--port 8080] [--host 127.0.0.1] [--dtype fp32|int8]
 * Serves a cross-encoder with the SageMaker container contract (GET /ping, POST /invocations).
 */
import { startEndpointServer } from '../endpoint/server.js';
import { createLocalCrossEncoder } from '../shared/wiring/models.js';
import { cliConfig, runCommand } from './common.js';

runCommand(
  {
    options: {
      model: { type: 'string' },
      port: { type: 'string', default: process.env.PORT ?? '8080' },
      host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
      dtype: { type: 'string' },
    },
  },
  async ({ values }) => {
    const config = cliConfig({ RERANKER_MODEL: values.model, RERANKER_DTYPE: values.dtype });
    const encoder = await createLocalCrossEncoder(config);
    const server = await startEndpointServer({ encoder, port: Number(values.port), host: values.host, log: console });
    process.stdout.write(`cross-encoder ${config.rerank.model} (${config.rerank.dtype}) serving on ${server.url}\n`);
    const stop = () => void server.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  },
);
