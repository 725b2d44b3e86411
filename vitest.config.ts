import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Unit tests: pure modules, in-memory fakes of the ports, and in-process models and stores on fixture files.
 * They start no server and no child process and use no network (`npm run test:unit`). Every other test file is
 * an integration test (`npm run test:integration`): it starts a server (local S3, the endpoint, a scripted HTTP
 * endpoint) or a child process (the CLIs, `npm start`, the serverless packager), or runs a function handler
 * end to end. A new test file is an integration test unless it matches one of these globs.
 */
const UNIT = [
  'test/shared/*.test.ts',
  'test/shared/pipeline/**/*.test.ts',
  'test/shared/api/**/*.test.ts',
  'test/shared/wiring/**/*.test.ts',
  'test/shared/adapters/{transformers,langchain,lancedb}/*.test.ts',
  // The PDF child process is spawned: an integration test beside the other extraction tests.
  'test/shared/adapters/extract/!(pdfProcess).test.ts',
  'test/layers/elf.test.ts',
  'test/docs/*.test.ts',
  'test/bench/costModel.test.ts',
  'test/evaluation/metrics.test.ts',
  'test/local/ingestQueue.test.ts',
];

const common = {
  // Native modules (LanceDB, onnxruntime) are happier in child processes than in worker threads.
  pool: 'forks',
  testTimeout: 120_000,
  hookTimeout: 120_000,
} as const;

// `npm test` (plain `vitest run`) runs both projects: every test file exactly once, since integration is
// everything under test/ that unit is not.
export default defineConfig({
  test: {
    projects: [
      { test: { ...common, name: 'unit', include: UNIT } },
      {
        test: {
          ...common,
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...UNIT],
        },
      },
    ],
  },
});
