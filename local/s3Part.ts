/**
 * The local S3 server as a part of `npm start` (its own process, so that nothing else can stall it).
 * Settings: S3_PORT, S3_DATA_DIR. Object notifications go to the supervisor over IPC, which delivers them
 * to the ingest function.
 */
import { mkdirSync } from 'node:fs';
import { startLocalS3 } from './s3Server.js';
import type { PartMessage } from './partMessages.js';

const port = Number(process.env.S3_PORT ?? 4569);
const directory = process.env.S3_DATA_DIR ?? '.data/s3';
mkdirSync(directory, { recursive: true });
const s3 = await startLocalS3({ port, directory, buckets: ['documents', 'vectors'] });
const send = (message: PartMessage) => process.send?.(message);
s3.onEvent((event) => send({ type: 's3-event', event }));
send({ type: 'ready', url: s3.endpoint });

const stop = () => void s3.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
