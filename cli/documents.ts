/**
 * npm run documents -- list [--status failed] [--prefix docs/acme/] [--limit 100] [--json] [--db <uri>]
 * npm run documents -- show <key> [--chunks] [--json]
 * npm run documents -- delete <key>
 * What the documents API answers, from this machine: each document's status, chunk count and failure reason. A
 * delete on an S3 index removes the object and its sidecar from DOCUMENTS_BUCKET (their events remove the chunks,
 * as the API's delete does); on a local index it removes the chunks at once.
 */
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../shared/adapters/s3/s3Documents.js';
import { checkDocumentKey, ListDocumentsSchema } from '../shared/api/documents/documentsApi.js';
import { describeZodError } from '../shared/api/requests.js';
import { syncDocuments } from '../shared/pipeline/ingest/ingest.js';
import type { DocumentStatus } from '../shared/pipeline/ingest/records.js';
import { sidecarOf } from '../shared/pipeline/metadata.js';
import { createServices, ingestDeps } from '../shared/wiring/services.js';
import { cliConfig, runCommand } from './common.js';

const USAGE =
  'usage: npm run documents -- list [--status s] [--prefix p] [--limit n] | show <key> [--chunks] | delete <key>';

const line = (d: DocumentStatus) =>
  `${d.status.padEnd(8)} ${String(d.chunks).padStart(6)} chunks  ${d.source}${d.reason ? `  (${d.reason})` : ''}`;

runCommand(
  {
    allowPositionals: true,
    options: {
      status: { type: 'string' },
      prefix: { type: 'string' },
      limit: { type: 'string' },
      chunks: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      db: { type: 'string' },
    },
  },
  async ({ values, positionals }) => {
    const [command, key, ...rest] = positionals;
    if (rest.length > 0 || !['list', 'show', 'delete'].includes(command ?? '')) throw new Error(USAGE);
    const config = cliConfig({ VECTOR_DB_URI: values.db });
    const services = createServices(config);
    const statuses = await services.statuses();
    const print = (value: unknown, text: string) =>
      process.stdout.write(values.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);

    if (command === 'list') {
      const request = ListDocumentsSchema.safeParse({
        status: values.status,
        prefix: values.prefix,
        limit: values.limit,
      });
      if (!request.success) throw new Error(describeZodError(request.error));
      const documents: DocumentStatus[] = [];
      let after: string | undefined;
      // Every page: a CLI lists all of them (the limit is the page size).
      do {
        const page = await statuses.list({ ...request.data, tenant: null, after });
        documents.push(...page.documents.filter((d) => request.data.status || d.status !== 'deleted'));
        after = page.next ?? undefined;
      } while (after !== undefined);
      print(documents, documents.length === 0 ? 'no documents' : documents.map(line).join('\n'));
      return;
    }
    if (key === undefined) throw new Error(USAGE);
    const source = checkDocumentKey(key);
    const status = await statuses.get(source);
    if (!status) throw new Error(`no document ${source}`);
    if (command === 'show') {
      const chunks = values.chunks ? (await services.store()).storedChunks(source) : null;
      const texts = chunks ? (await chunks).map((c, chunk) => ({ chunk, text: c.text })) : undefined;
      const shown = { ...status, ...(texts ? { chunkTexts: texts } : {}) };
      const details = Object.entries(status).map(([name, value]) => `${name.padEnd(12)} ${JSON.stringify(value)}`);
      const body = texts ? texts.map((t) => `\n[chunk ${t.chunk}]\n${t.text}`) : [];
      print(shown, [...details, ...body].join('\n'));
      return;
    }
    if (config.store.uri.startsWith('s3://')) {
      const s3 = createS3Client({ region: config.store.region, endpoint: config.store.s3Endpoint });
      const Bucket = config.documents.bucket;
      await Promise.all([source, sidecarOf(source)].map((Key) => s3.send(new DeleteObjectCommand({ Bucket, Key }))));
      print(
        { source, status: 'deleting' },
        `deleting ${source}: removed from s3://${Bucket}; its event removes the chunks`,
      );
      return;
    }
    // A local index has no bucket events: sync the document as gone, which removes its chunks and records it.
    const gone = { read: async () => null, version: async () => null };
    const [result] = await syncDocuments([source], gone, await ingestDeps(services, config, console));
    print(result, `deleted ${source} (${result && 'chunks' in result ? result.chunks : 0} chunks removed)`);
  },
);
