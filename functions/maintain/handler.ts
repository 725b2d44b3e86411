import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { loadConfig } from '../../shared/wiring/config.js';
import { openStatusUpkeep, openStoreUpkeep } from '../../shared/wiring/store.js';

// Opens the table by the settings it records: no embedding model is loaded (nor shipped) for upkeep.
const config = loadConfig();
const logger = new Logger({ serviceName: 'maintain' });

export interface MaintenanceReport {
  /** false when there is no table yet (nothing ingested): nothing to do. */
  table: boolean;
  fragmentsBefore: number;
  fragmentsAfter: number;
  vectorIndexCreated: boolean;
  indexedColumns: string[];
  /** The documents' status table: its fragments before and after compaction. */
  statuses: { fragmentsBefore: number; fragmentsAfter: number } | null;
}

/** Compacts the status table beside the chunks (two fragments per ingest batch pile up as fast as the chunks'). */
async function maintainStatuses(): Promise<MaintenanceReport['statuses']> {
  const statuses = await openStatusUpkeep(config);
  const fragmentsBefore = await statuses.fragments();
  await statuses.optimize();
  return { fragmentsBefore, fragmentsAfter: await statuses.fragments() };
}

/**
 * Scheduled upkeep of the LanceDB table: compaction, index refresh, pruning of old versions, and the vector
 * index once the table is large enough. Every ingest adds fragments; without this, queries slow down.
 */
async function maintainHandler(_event: unknown, _context: Context): Promise<MaintenanceReport> {
  // Opened per run (hourly, cheap): a table created since the last run is found, and no 'none yet' is kept.
  const store = await openStoreUpkeep(config);
  if (!store) {
    logger.info('no table yet; nothing to maintain');
    const empty = { fragmentsBefore: 0, fragmentsAfter: 0, vectorIndexCreated: false, indexedColumns: [] };
    return { table: false, ...empty, statuses: null };
  }
  const fragmentsBefore = await store.fragments();
  await store.ensureIndexes();
  const vectorIndexCreated = await store.ensureVectorIndex(config.store.vectorIndexMinRows);
  await store.optimize();
  const report = {
    table: true,
    fragmentsBefore,
    fragmentsAfter: await store.fragments(),
    vectorIndexCreated,
    indexedColumns: await store.indexedColumns(),
    statuses: await maintainStatuses(),
  };
  logger.info('table maintained', { ...report });
  return report;
}

export const handler = middy(maintainHandler).use(injectLambdaContext(logger));
