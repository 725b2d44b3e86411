/**
 * npm run embed -- --model <id> [--dtype fp32|int8] < texts.json
 * Reads a JSON array of strings on stdin and prints a JSON array of vectors (embedder parity checks).
 */
import { text } from 'node:stream/consumers';
import { z } from 'zod';
import { createEmbedder } from '../shared/wiring/models.js';
import { cliConfig, runCommand } from './common.js';

runCommand(
  {
    options: {
      model: { type: 'string' },
      dtype: { type: 'string' },
      'no-normalize': { type: 'boolean', default: false },
    },
  },
  async ({ values }) => {
    const config = cliConfig({
      EMBEDDING_MODEL: values.model,
      EMBEDDING_DTYPE: values.dtype,
      EMBEDDING_NORMALIZE: values['no-normalize'] ? 'false' : undefined,
    });
    const parsed = z.array(z.string()).safeParse(JSON.parse(await text(process.stdin)));
    if (!parsed.success) throw new Error('stdin must be a JSON array of strings');
    const embedder = await createEmbedder(config);
    process.stdout.write(`${JSON.stringify(await embedder.embedDocuments(parsed.data))}\n`);
  },
);
