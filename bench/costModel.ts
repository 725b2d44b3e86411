/** The price list of bench/prices.json: one region, one date, a source per price. */
export interface Prices {
  region: string;
  date: string;
  lambda: Record<Architecture, { perGbSecond: number }> & { perMillionRequests: number };
  httpApi: { perMillionRequests: number };
  sqs: { perMillionRequests: number };
  s3: { perThousandPut: number; perThousandGet: number; perGbMonth: number };
  compare: {
    cohereRerank35: { perThousandSearches: number };
    amazonRerank10: { perThousandQueries: number };
    openSearchServerless: { perOcuHour: number; minimumOcus: number };
    sagemakerRealTime: { instance: string; perHour: number };
  };
  hoursPerMonth: number;
}

export type Architecture = 'x86_64' | 'arm64';

/** Invocations of one function and their billed time (each rounded up to the millisecond, summed). */
export interface Invocations {
  count: number;
  billedMs: number;
  memoryMb: number;
}

/** S3 requests by price class: PUT, COPY, POST and LIST; GET, HEAD and the rest (DELETE is free). */
export interface S3Requests {
  put: number;
  get: number;
}

/** Lambda's charge for invocations: GB-seconds at the architecture's price plus the per-request price. */
export function lambdaCost(invocations: Invocations, prices: Prices, arch: Architecture): number {
  const gbSeconds = (invocations.billedMs / 1000) * (invocations.memoryMb / 1024);
  return gbSeconds * prices.lambda[arch].perGbSecond + (invocations.count * prices.lambda.perMillionRequests) / 1e6;
}

export function s3RequestCost(requests: S3Requests, prices: Prices): number {
  return (requests.put * prices.s3.perThousandPut + requests.get * prices.s3.perThousandGet) / 1000;
}

/** What one query costs, by part: the query function, its scoring invocations, the HTTP API, and S3. */
export interface QueryCost {
  query: number;
  scoring: number;
  api: number;
  s3: number;
  total: number;
}

export interface QueryMeasurement {
  query: Invocations;
  /** Fanned-out shards: none when the candidates were scored in-process. */
  scoring: Invocations;
  s3: S3Requests;
}

/** The cost of the measured queries, per query. */
export function queryCost(measured: QueryMeasurement, queries: number, prices: Prices, arch: Architecture): QueryCost {
  const query = lambdaCost(measured.query, prices, arch) / queries;
  const scoring = lambdaCost(measured.scoring, prices, arch) / queries;
  const api = prices.httpApi.perMillionRequests / 1e6;
  const s3 = s3RequestCost(measured.s3, prices) / queries;
  return { query, scoring, api, s3, total: query + scoring + api + s3 };
}

export interface IngestMeasurement {
  documents: number;
  /** Characters of text the documents held. */
  characters: number;
  ingest: Invocations;
  /** SendMessage + ReceiveMessage + DeleteMessageBatch. */
  sqsRequests: number;
  s3: S3Requests;
  /** Bytes the table grew by. */
  storedBytes: number;
}

/** The cost of ingesting one document of the measured ones, and what its table share costs to keep a month. */
export function ingestCost(measured: IngestMeasurement, prices: Prices, arch: Architecture) {
  const once =
    lambdaCost(measured.ingest, prices, arch) +
    (measured.sqsRequests * prices.sqs.perMillionRequests) / 1e6 +
    s3RequestCost(measured.s3, prices);
  const storedGbMonth = (measured.storedBytes / 1024 ** 3) * prices.s3.perGbMonth;
  return { perDocument: once / measured.documents, storagePerDocumentMonth: storedGbMonth / measured.documents };
}

/** One GB of text is 1024³ characters of plain text (one byte each): the measured cost per character, scaled. */
export function perGigabyteOfText(measured: IngestMeasurement, prices: Prices, arch: Architecture): number {
  return (ingestCost(measured, prices, arch).perDocument * measured.documents * 1024 ** 3) / measured.characters;
}

export interface IdleMeasurement {
  /** The maintenance function's hourly run, measured once. */
  maintain: Invocations;
  maintainS3: S3Requests;
  /** ReceiveMessage calls Lambda's SQS pollers make in a month on an empty queue. */
  sqsPollsPerMonth: number;
  storedBytes: number;
}

/** A month with no query and no upload: hourly upkeep, the queue's pollers, the stored table; no compute. */
export function idleMonthCost(measured: IdleMeasurement, prices: Prices, arch: Architecture) {
  const runs = prices.hoursPerMonth;
  const maintain = runs * (lambdaCost(measured.maintain, prices, arch) + s3RequestCost(measured.maintainS3, prices));
  const sqs = (measured.sqsPollsPerMonth * prices.sqs.perMillionRequests) / 1e6;
  const storage = (measured.storedBytes / 1024 ** 3) * prices.s3.perGbMonth;
  return { maintain, sqs, storage, total: maintain + sqs + storage };
}

/** The buyer's comparison rows, per month or per million queries. */
export function comparisons(prices: Prices) {
  const { cohereRerank35, amazonRerank10, openSearchServerless, sagemakerRealTime } = prices.compare;
  return {
    coherePerMillion: cohereRerank35.perThousandSearches * 1000,
    amazonRerankPerMillion: amazonRerank10.perThousandQueries * 1000,
    openSearchIdleMonth: openSearchServerless.perOcuHour * openSearchServerless.minimumOcus * prices.hoursPerMonth,
    sagemakerMonth: sagemakerRealTime.perHour * prices.hoursPerMonth,
  };
}
