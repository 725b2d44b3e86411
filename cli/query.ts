/**
 * npm run query -- "question" [--k 20] [--top-n 3] [--db <uri>] [--json]
 * Runs the query pipeline (same code as the query Lambda) and prints the results.
 */
import { answerQuery } from '../shared/pipeline/query/query.js';
import { createServices, queryDeps } from '../shared/wiring/services.js';
import { cliConfig, runCommand } from './common.js';
import { QueryRequestSchema } from '../shared/api/queryApi.js';
import { describeZodError } from '../shared/api/requests.js';

runCommand(
  {
    allowPositionals: true,
    options: {
      k: { type: 'string' },
      'top-n': { type: 'string' },
      db: { type: 'string' },
      source: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  },
  async ({ values, positionals }) => {
    const config = cliConfig({ VECTOR_DB_URI: values.db });
    const request = QueryRequestSchema.safeParse({
      query: positionals.join(' '),
      k: values.k === undefined ? undefined : Number(values.k),
      topN: values['top-n'] === undefined ? undefined : Number(values['top-n']),
      filter: values.source === undefined ? undefined : { source: values.source },
    });
    if (!request.success) throw new Error(describeZodError(request.error));
    const services = createServices(config);
    const response = await answerQuery(request.data, await queryDeps(services, config, console));
    if (values.json) {
      process.stdout.write(`${JSON.stringify(response, null, 2)}\n`);
      return;
    }
    response.results.forEach((r, i) => {
      const score = r.score === null ? 'n/a' : r.score.toFixed(4);
      process.stdout.write(
        `#${i + 1}  score ${score}  (retrieval #${r.retrievalRank}, ${r.retrievalScore.toFixed(4)})  ${r.source} [chunk ${r.chunk}]\n${r.text}\n\n`,
      );
    });
    const t = response.timings;
    process.stdout.write(
      `reranked: ${response.reranked}  embed ${t.embed} ms, search ${t.search} ms, rerank ${t.rerank} ms, total ${t.total} ms\n`,
    );
  },
);
