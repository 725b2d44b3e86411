import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  comparisons,
  idleMonthCost,
  ingestCost,
  lambdaCost,
  perGigabyteOfText,
  type Prices,
  queryCost,
} from '../../bench/costModel.js';

const prices = JSON.parse(
  readFileSync(path.resolve(import.meta.dirname, '..', '..', 'bench', 'prices.json'), 'utf8'),
) as Prices;

describe('bench/prices.json', () => {
  it('is dated, names its region and a source for every price', () => {
    expect(prices.region).toBe('us-east-1');
    expect(prices.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const text = JSON.stringify(prices);
    expect(text.match(/"source"/g)!.length).toBeGreaterThanOrEqual(10);
  });
});

describe('cost model (hand-computed expectations)', () => {
  it('charges Lambda GB-seconds at the architecture price plus requests', () => {
    // 1,000 invocations × 500 ms at 2,048 MB = 1,000 GB-s: $0.0166667 on x86, $0.0133334 on arm64, + $0.0002.
    const invocations = { count: 1000, billedMs: 500_000, memoryMb: 2048 };
    expect(lambdaCost(invocations, prices, 'x86_64')).toBeCloseTo(0.0168667, 7);
    expect(lambdaCost(invocations, prices, 'arm64')).toBeCloseTo(0.0135334, 7);
  });

  it('adds the query function, its scoring shards, the HTTP API and S3 reads per query', () => {
    const cost = queryCost(
      {
        query: { count: 10, billedMs: 3000, memoryMb: 1024 }, // 3 GB-s
        scoring: { count: 40, billedMs: 8000, memoryMb: 1024 }, // 8 GB-s
        s3: { put: 0, get: 100 },
      },
      10,
      prices,
      'x86_64',
    );
    expect(cost.query).toBeCloseTo((3 * 0.0000166667 + 10 * 0.2e-6) / 10, 12);
    expect(cost.scoring).toBeCloseTo((8 * 0.0000166667 + 40 * 0.2e-6) / 10, 12);
    expect(cost.api).toBeCloseTo(1e-6, 12);
    expect(cost.s3).toBeCloseTo((100 * 0.0004) / 1000 / 10, 12);
    expect(cost.total).toBeCloseTo(cost.query + cost.scoring + cost.api + cost.s3, 15);
  });

  it('prices ingest per document and per GB of text from the measured characters', () => {
    const measured = {
      documents: 100,
      characters: 1024 ** 3 / 1000, // a thousandth of a GB
      ingest: { count: 10, billedMs: 20_000, memoryMb: 2048 }, // 40 GB-s
      sqsRequests: 120,
      s3: { put: 200, get: 300 },
      storedBytes: 1024 ** 3 / 100,
    };
    const once = 40 * 0.0000166667 + 10 * 0.2e-6 + 120 * 0.4e-6 + (200 * 0.005 + 300 * 0.0004) / 1000;
    const { perDocument, storagePerDocumentMonth } = ingestCost(measured, prices, 'x86_64');
    expect(perDocument).toBeCloseTo(once / 100, 12);
    expect(storagePerDocumentMonth).toBeCloseTo((0.01 * 0.023) / 100, 12);
    expect(perGigabyteOfText(measured, prices, 'x86_64')).toBeCloseTo(once * 1000, 8);
  });

  it('counts an idle month as hourly upkeep, queue polls and storage, with no compute', () => {
    const idle = idleMonthCost(
      {
        maintain: { count: 1, billedMs: 1000, memoryMb: 1024 },
        maintainS3: { put: 0, get: 10 },
        sqsPollsPerMonth: 1e6,
        storedBytes: 1024 ** 3,
      },
      prices,
      'x86_64',
    );
    expect(idle.maintain).toBeCloseTo(730 * (0.0000166667 + 0.2e-6 + 0.000004), 9);
    expect(idle.sqs).toBeCloseTo(0.4, 12);
    expect(idle.storage).toBeCloseTo(0.023, 12);
  });

  it('puts the managed alternatives at their list prices', () => {
    expect(comparisons(prices)).toEqual({
      coherePerMillion: 2000,
      amazonRerankPerMillion: 1000,
      openSearchIdleMonth: expect.closeTo(350.4, 6),
      sagemakerMonth: expect.closeTo(1027.84, 6),
    });
  });
});
