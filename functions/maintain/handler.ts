import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { loadConfig } from '../../shared/config.js';
import { configureModelHub } from '../../shared/models/hub.js';
import { createServices } from '../../shared/services.js';

const config = loadConfig();
configureModelHub(config.models);
const logger = new Logger({ serviceName: 'maintain' });
const services = createServices(config);

export interface MaintenanceReport {
  fragmentsBefore: number;
  fragmentsAfter: number;
  vectorIndexCreated: boolean;
  indexedColumns: string[];
}

/**
 * Scheduled upkeep of the LanceDB table: compaction, index refresh, pruning of old versions, and the vector
 * index once the table is large enough. Every ingest adds fragments; without this, queries slow down.
 */
async function maintainHandler(_event: unknown, _context: Context): Promise<MaintenanceReport> {
  const store = await services.store();
  const fragmentsBefore = await store.fragments();
  await store.ensureTextIndex();
  const vectorIndexCreated = await store.ensureVectorIndex(config.store.vectorIndexMinRows);
  await store.optimize();
  const report = {
    fragmentsBefore,
    fragmentsAfter: await store.fragments(),
    vectorIndexCreated,
    indexedColumns: await store.indexedColumns(),
  };
  logger.info('table maintained', { ...report });
  return report;
}

export const handler = middy(maintainHandler).use(injectLambdaContext(logger));
