/**
 * The `@example` blocks of the public API are programs, and this test runs them.
 *
 * Every `@example` in the TSDoc of shared/ (the package's public entries "rerank-pipeline" and
 * "rerank-pipeline/langchain"), endpoint/ and local/ is written to a module of its own, type-checked with the
 * project's compiler options and run, all of them in one tsx child process (one start-up instead of one per
 * example), which reports each example's outcome and output separately.
 *
 * What an example may leave out, because the runner adds it:
 * - imports of the public API: names the example uses from "rerank-pipeline" / "rerank-pipeline/langchain"
 *   (resolved through the package's own `exports`, as a user's code would) and, for endpoint/ and local/, which
 *   the package does not export, the exports of the example's own module. Imports the example writes itself
 *   (other packages, or the public API spelled out) are kept as they are.
 * - the model hub: the hub ids the examples name are served from the fixture models (random weights), offline,
 *   through a MODELS_DIR of symlinks that the runner's prelude passes to `configureModelHub`.
 * - a SageMaker endpoint: the test starts the local endpoint server in its own process (not in the examples'
 *   process: a real endpoint is apart from its clients) and passes its URL as SAGEMAKER_ENDPOINT_URL.
 * Everything else — setup, placeholders, cleanup — is the example's own code.
 *
 * The second part checks that the package exports what README.md ("Use it from TypeScript") documents.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { configureModelHub, LocalCrossEncoder } from 'rerank-pipeline';
import * as mainEntry from 'rerank-pipeline';
import * as langchainEntry from 'rerank-pipeline/langchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEndpointServer, type EndpointServer } from '../endpoint/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The runtime names README.md's "Use it from TypeScript" section documents, per package entry. */
const DOCUMENTED_API = {
  'rerank-pipeline': [
    'answerQuery',
    'createServices',
    'queryDeps',
    'ingestDeps',
    'loadConfig',
    'configureModelHub',
    'TransformersEmbedder',
    'LocalCrossEncoder',
    'SageMakerCrossEncoder',
    'LanceStore',
    'rerank',
    'sigmoid',
    'retrieve',
    'syncDocument',
    'indexDocument',
    'chunkText',
    'createEmbedder',
    'createLocalCrossEncoder',
    'createCrossEncoder',
    'toErrorResponse',
    'AppError',
  ],
  'rerank-pipeline/langchain': ['CrossEncoderReranker', 'ChunkRetriever', 'TransformersEmbedder'],
} as const satisfies Record<string, readonly string[]>;

type Entry = keyof typeof DOCUMENTED_API;
const ENTRIES = Object.keys(DOCUMENTED_API) as Entry[];

/** Folders whose TSDoc `@example`s are run. shared/ is the package; endpoint/ and local/ are used by the CLIs. */
const EXAMPLE_DIRS = ['shared', 'endpoint', 'local'];

/** Hub models the examples name → the fixture model that stands in for it (same architecture, random weights). */
const HUB_STAND_INS: Record<string, string> = {
  'Xenova/all-MiniLM-L6-v2': 'tiny-embed',
  'Xenova/ms-marco-MiniLM-L-6-v2': 'tiny-ce',
};

/**
 * What each printing example prints (stdout), with the fixture models. An example that prints but has no entry
 * here fails, so a new printing example gets a checked output.
 */
const EXPECTED_OUTPUT: Record<string, RegExp> = {
  // tiny-embed has 128 dimensions (all-MiniLM-L6-v2: 384).
  'shared/adapters/transformers/embedder.ts#TransformersEmbedder': /^128\n$/,
  'shared/pipeline/rerank/crossEncoder.ts#rerank': new RegExp(
    `^(?:(?:0\\.\\d{3}|1\\.000) (?:${['We will fight inflation.', 'The weather was mild.', 'Jobs are coming back.'].map(escapeRegExp).join('|')})\\n){2}$`,
  ),
  'shared/pipeline/query/query.ts#answerQuery': /^\[ 'notes\.txt' \]\n$/,
  'shared/adapters/lancedb/lanceStore.ts#LanceStore': /^\[ 'notes\.txt' \]\n$/,
  'shared/adapters/langchain/crossEncoderReranker.ts#CrossEncoderReranker': /^2\n$/,
  'endpoint/server.ts#startEndpointServer': /^200 \{ scores: \[ -?\d[\d.e+-]* \] \}\n$/,
  'local/s3Server.ts#startLocalS3': /^Hello, S3\n$/,
};

/** Examples that cannot run here, each with the reason. Keep it empty: fix the example instead where possible. */
const NOT_RUN: Record<string, string> = {};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface Example {
  /** `<file>#<symbol>`, with `#<n>` for a symbol's second and later examples. */
  id: string;
  file: string;
  /** 1-based line of the example's first code line in `file`. */
  line: number;
  code: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => path.posix.join(dir, name.split(path.sep).join('/')))
    .sort();
}

const DECLARATION =
  /^\s*(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|const|let|var|interface|type|enum)\s+([A-Za-z_$][\w$]*)/;
const MEMBER = /^\s*(?:(?:public|private|protected|static|readonly|async|get|set)\s+)*([A-Za-z_$#][\w$]*)\s*[(<:=]/;

/** The `@example` blocks of one file's doc comments. */
function extractExamples(file: string, text: string): Example[] {
  const examples: Example[] = [];
  const seen = new Map<string, number>();
  for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const firstLine = text.slice(0, comment.index).split('\n').length;
    const lines = comment[0]
      .slice(3, -2)
      .split('\n')
      .map((line) => line.replace(/^\s*\* ?/, ''));
    const after =
      text
        .slice(comment.index + comment[0].length)
        .replace(/^\s+/, '')
        .split('\n')[0] ?? '';
    const symbol = DECLARATION.exec(after)?.[1] ?? MEMBER.exec(after)?.[1] ?? `line${firstLine}`;
    for (let i = 0; i < lines.length; i++) {
      const start = /^\s*@example\b ?(.*)$/.exec(lines[i]!);
      if (!start) continue;
      let body: { text: string; line: number }[] = [];
      if (start[1]!.trim() !== '') body.push({ text: start[1]!, line: firstLine + i });
      let j = i + 1;
      for (; j < lines.length && !/^\s*@\w+/.test(lines[j]!); j++) body.push({ text: lines[j]!, line: firstLine + j });
      i = j - 1;
      const fences = body.flatMap((l, k) => (/^\s*```/.test(l.text) ? [k] : []));
      if (fences.length >= 2) body = body.slice(fences[0]! + 1, fences[1]!);
      while (body.length > 0 && body[0]!.text.trim() === '') body.shift();
      while (body.length > 0 && body.at(-1)!.text.trim() === '') body.pop();
      if (body.length === 0) continue;
      const count = (seen.get(symbol) ?? 0) + 1;
      seen.set(symbol, count);
      examples.push({
        id: `${file}#${symbol}${count > 1 ? `#${count}` : ''}`,
        file,
        line: body[0]!.line,
        code: body.map((l) => l.text).join('\n'),
      });
    }
  }
  return examples;
}

const EXAMPLES = EXAMPLE_DIRS.flatMap(sourceFiles).flatMap((file) =>
  extractExamples(file, readFileSync(path.join(ROOT, file), 'utf8')),
);
const RUN = EXAMPLES.filter((e) => !(e.id in NOT_RUN));

/** Names an example binds itself through its own import statements. */
function importedNames(code: string): Set<string> {
  const names = new Set<string>();
  for (const m of code.matchAll(/^\s*import\s+(?:type\s+)?([^'";]*?)\s+from\s+['"][^'"]+['"]/gm)) {
    const clause = m[1]!;
    for (const named of clause.match(/\{([^}]*)\}/)?.[1]?.split(',') ?? []) {
      const local = named
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .at(-1)!
        .trim();
      if (local) names.add(local);
    }
    const rest = clause.replace(/\{[^}]*\}/, '').replace(/,/g, ' ');
    for (const word of rest.match(/[A-Za-z_$][\w$]*/g) ?? []) if (word !== 'as' && word !== 'type') names.add(word);
  }
  return names;
}

interface Generated {
  example: Example;
  /** Absolute path of the example's module. */
  module: string;
  /** Lines the runner put before the example's first line. */
  preludeLines: number;
}

function specifier(from: string, to: string): string {
  const relative = path.relative(path.dirname(from), to).split(path.sep).join('/').replace(/\.ts$/, '.js');
  return relative.startsWith('.') ? relative : `./${relative}`;
}

const apiModules = new Map<Entry, Record<string, unknown>>([
  ['rerank-pipeline', mainEntry],
  ['rerank-pipeline/langchain', langchainEntry],
]);
let workDir = '';
let genDir = '';
let generated: Generated[] = [];

function generate(
  exports: Map<string, { from: string; names: Set<string> }>,
  examples: Example[],
  dir: string,
): Generated[] {
  return examples.map((example, i) => {
    const module = path.join(dir, `example-${String(i + 1).padStart(2, '0')}.ts`);
    const own = importedNames(example.code);
    // The example's own module first (endpoint/, local/), then the package entries in order.
    const sources: { from: string; names: Set<string> }[] = [
      ...(example.file.startsWith('shared/') ? [] : [exports.get(example.file)!]),
      ...ENTRIES.map((entry) => exports.get(entry)!),
    ];
    const imports = new Map<string, string[]>();
    const taken = new Set(own);
    for (const { from, names } of sources) {
      for (const name of names) {
        if (taken.has(name) || !new RegExp(`(?<![\\w$.])${escapeRegExp(name)}(?![\\w$])`).test(example.code)) continue;
        taken.add(name);
        imports.set(from, [...(imports.get(from) ?? []), name]);
      }
    }
    const prelude = [
      `// ${example.id} (${example.file}:${example.line}), generated by test/examples.test.ts`,
      ...[...imports].map(([from, names]) => `import { ${names.sort().join(', ')} } from '${from}';`),
    ];
    writeFileSync(module, `${prelude.join('\n')}\n${example.code}\nexport {};\n`);
    return { example, module, preludeLines: prelude.length };
  });
}

/**
 * The child's driver: the prelude (the model hub, as the examples' users configure it once per process), then
 * each example in turn between markers, with the resources it leaves open.
 */
function driverSource(modules: Generated[], mark: string): string {
  return `import { configureModelHub } from 'rerank-pipeline';

const MARK = ${JSON.stringify(mark)};
const examples: { id: string; module: string }[] = ${JSON.stringify(modules.map((g) => ({ id: g.example.id, module: `./${path.basename(g.module)}` })))};
const emit = (event: Record<string, unknown>): void => {
  const line = MARK + ' ' + JSON.stringify(event) + '\\n';
  process.stdout.write(line);
  process.stderr.write(line);
};
const resources = (): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
};

configureModelHub({ dir: process.env.MODELS_DIR, allowRemote: false });

for (const { id, module } of examples) {
  const before = resources();
  emit({ type: 'start', id });
  const t0 = performance.now();
  try {
    await import(module);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const leaked: string[] = [];
    for (const [type, n] of resources()) if (n > (before.get(type) ?? 0)) leaked.push(type + ' x' + (n - (before.get(type) ?? 0)));
    emit({ type: 'end', id, ok: true, ms: Math.round(performance.now() - t0), leaked });
  } catch (error) {
    emit({ type: 'end', id, ok: false, ms: Math.round(performance.now() - t0), error: error instanceof Error ? error.stack ?? error.message : String(error) });
  }
}
emit({ type: 'done' });
`;
}

interface Outcome {
  ok: boolean;
  ms: number;
  error?: string;
  leaked?: string[];
  stdout: string;
  stderr: string;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  outcomes: Map<string, Outcome>;
  done: boolean;
  /** Output outside any example (prelude, shutdown). */
  stdout: string;
  stderr: string;
}

function parseStream(
  text: string,
  mark: string,
  outcomes: Map<string, Outcome>,
  stream: 'stdout' | 'stderr',
): [string, boolean] {
  let current: string | null = null;
  let rest = '';
  let done = false;
  for (const line of text.split(/(?<=\n)/)) {
    if (line.startsWith(`${mark} `)) {
      const event = JSON.parse(line.slice(mark.length + 1)) as { type: string; id?: string } & Partial<Outcome>;
      if (event.type === 'start') {
        current = event.id!;
        if (!outcomes.has(current))
          outcomes.set(current, { ok: false, ms: 0, stdout: '', stderr: '', error: 'did not finish' });
      } else if (event.type === 'end') {
        const outcome = outcomes.get(event.id!)!;
        if (stream === 'stdout')
          Object.assign(outcome, { ok: event.ok, ms: event.ms, error: event.error, leaked: event.leaked });
        current = null;
      } else if (event.type === 'done') done = true;
      continue;
    }
    if (current === null) rest += line;
    else outcomes.get(current)![stream] += line;
  }
  return [rest, done];
}

/** Limit for all examples together, and for the process to exit once the last one has finished. */
const RUN_TIMEOUT_MS = 100_000;
const EXIT_GRACE_MS = 10_000;
let run: Promise<RunResult>;
let typeCheck: Promise<Map<string, string[]>>;
let endpoint: EndpointServer | undefined;

function runExamples(driver: string, mark: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // tsx as a loader in this one process (its CLI would run the driver in a grandchild that a kill misses).
    const tsx = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const child = spawn(process.execPath, ['--import', tsx, driver], {
      cwd: workDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    let finished = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!finished && stdout.includes(`${mark} {"type":"done"}`)) {
        finished = true;
        clearTimeout(timer);
        timer = setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const outcomes = new Map<string, Outcome>();
      const [outRest, done] = parseStream(stdout, mark, outcomes, 'stdout');
      const [errRest] = parseStream(stderr, mark, outcomes, 'stderr');
      resolve({ code, signal, outcomes, done, stdout: outRest, stderr: errRest });
    });
  });
}

/**
 * tsc over the generated examples with the project's compiler options (unused imports allowed), in a child
 * process so that the endpoint server in this one keeps answering meanwhile. Errors per example id, at the
 * example's line in its source file.
 */
function typeCheckExamples(): Promise<Map<string, string[]>> {
  const tsconfig = path.join(genDir, 'tsconfig.json');
  // The project's ambient declarations (e.g. local/s3rver.d.ts) come along; its other files only where imported.
  const project = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
  const declarations = project.include
    .filter((entry) => !/\.[cm]?[jt]s$/.test(entry))
    .flatMap((dir) =>
      readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((name) => name.endsWith('.d.ts') && !name.split(path.sep).includes('node_modules'))
        .map((name) => path.join(ROOT, dir, name)),
    );
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: path.join(ROOT, 'tsconfig.json'),
      compilerOptions: { noUnusedLocals: false },
      files: [...declarations, ...generated.map((g) => g.module)],
    }),
  );
  return new Promise((resolve, reject) => {
    const tsc = spawn(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig, '--pretty', 'false'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    tsc.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    tsc.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    tsc.on('error', reject);
    tsc.on('close', (code) => {
      const errors = new Map(generated.map((g) => [g.example.id, [] as string[]]));
      const unattributed: string[] = [];
      // `file(line,col): error TSxxxx: message`, continuation lines indented.
      for (const diagnostic of output.split(/\n(?=\S)/).filter((d) => d.trim() !== '')) {
        const m = /^(.+?)\((\d+),\d+\): (.*)$/s.exec(diagnostic);
        const g = m && generated.find((x) => x.module === path.resolve(ROOT, m[1]!));
        if (!m || !g) {
          unattributed.push(diagnostic);
          continue;
        }
        const line = Number(m[2]) - 1;
        const at =
          line < g.preludeLines ? 'runner prelude' : `${g.example.file}:${g.example.line + line - g.preludeLines}`;
        errors.get(g.example.id)!.push(`${at}: ${m[3]!.trim()}`);
      }
      if (code !== 0 && unattributed.length > 0) for (const list of errors.values()) list.push(...unattributed);
      resolve(errors);
    });
  });
}

beforeAll(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'examples-'));
  const modelsDir = path.join(workDir, 'models');
  for (const [id, fixture] of Object.entries(HUB_STAND_INS)) {
    mkdirSync(path.dirname(path.join(modelsDir, id)), { recursive: true });
    symlinkSync(path.join(ROOT, 'test', 'fixtures', 'models', fixture), path.join(modelsDir, id), 'dir');
  }
  // Inside the package (not under node_modules), so "rerank-pipeline" resolves to the package itself.
  mkdirSync(path.join(ROOT, '.cache'), { recursive: true });
  genDir = mkdtempSync(path.join(ROOT, '.cache', 'examples-'));

  // The stand-in of a SageMaker endpoint for the SageMakerCrossEncoder example.
  configureModelHub({ dir: modelsDir, allowRemote: false });
  endpoint = await startEndpointServer({
    encoder: await LocalCrossEncoder.create({ model: 'Xenova/ms-marco-MiniLM-L-6-v2' }),
    port: 0,
    log: { info() {}, warn() {}, error() {} },
  });

  const exports = new Map<string, { from: string; names: Set<string> }>();
  for (const entry of ENTRIES) exports.set(entry, { from: entry, names: new Set(Object.keys(apiModules.get(entry)!)) });
  for (const file of new Set(RUN.map((e) => e.file).filter((f) => !f.startsWith('shared/')))) {
    const module = (await import(path.join(ROOT, file))) as Record<string, unknown>;
    exports.set(file, {
      from: specifier(path.join(genDir, 'x.ts'), path.join(ROOT, file)),
      names: new Set(Object.keys(module)),
    });
  }
  generated = generate(exports, RUN, genDir);

  const driver = path.join(genDir, 'run.ts');
  const mark = `@@example-${Math.random().toString(36).slice(2)}@@`;
  writeFileSync(driver, driverSource(generated, mark));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    LANG: process.env.LANG,
    MODELS_DIR: modelsDir,
    ALLOW_REMOTE_MODELS: 'false',
    VECTOR_DB_URI: path.join(workDir, 'vectors'),
    SAGEMAKER_ENDPOINT_URL: endpoint.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'examples',
    AWS_SECRET_ACCESS_KEY: 'examples',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  // Both started here and awaited by the tests below, so that they run side by side.
  run = runExamples(driver, mark, env);
  run.catch(() => undefined);
  typeCheck = typeCheckExamples();
  typeCheck.catch(() => undefined);
});

afterAll(async () => {
  await Promise.allSettled([run, typeCheck]);
  await endpoint?.close();
  if (genDir) rmSync(genDir, { recursive: true, force: true });
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('@example blocks', () => {
  it('are found in the public API’s TSDoc', () => {
    const files = new Set(EXAMPLES.map((e) => e.file));
    for (const file of [
      'shared/adapters/transformers/embedder.ts',
      'shared/pipeline/query/query.ts',
      'shared/adapters/transformers/localCrossEncoder.ts',
      'endpoint/server.ts',
    ]) {
      expect(files, `no @example found in ${file}`).toContain(file);
    }
    for (const id of [...Object.keys(EXPECTED_OUTPUT), ...Object.keys(NOT_RUN)]) {
      expect(
        EXAMPLES.map((e) => e.id),
        `stale entry ${id} in examples.test.ts`,
      ).toContain(id);
    }
  });

  describe.each(EXAMPLES.map((e) => [e.id, e] as const))('%s', (id, example) => {
    const reason = NOT_RUN[id];
    if (reason !== undefined) {
      it.skip(`is not run: ${reason}`, () => undefined);
      return;
    }
    const shown = `\n--- ${example.file}:${example.line}\n${example.code}\n---`;

    it('type-checks', async () => {
      expect((await typeCheck).get(id), shown).toEqual([]);
    });

    it('runs', async () => {
      const result = await run;
      const outcome = result.outcomes.get(id);
      const context = `${shown}\nrunner exit ${result.code ?? result.signal}\nprelude stderr:\n${result.stderr.slice(-2000)}`;
      expect(outcome, `example never started${context}`).toBeDefined();
      expect(outcome!.error, `${outcome!.stderr.slice(-4000)}${context}`).toBeUndefined();
      expect(outcome!.ok).toBe(true);
      expect.soft(outcome!.leaked ?? [], `the example leaves resources open${shown}`).toEqual([]);
      const expected = EXPECTED_OUTPUT[id];
      if (expected) expect.soft(outcome!.stdout, `output of ${id}${shown}`).toMatch(expected);
      else expect.soft(outcome!.stdout, `${id} prints, but EXPECTED_OUTPUT has no entry for it${shown}`).toBe('');
    });
  });

  it('the runner exits 0 after the last example, with nothing left open', async () => {
    const result = await run;
    for (const [id, outcome] of result.outcomes)
      console.log(`${outcome.ok ? 'ok  ' : 'FAIL'} ${String(outcome.ms).padStart(5)} ms  ${id}`);
    const detail = `stdout:\n${result.stdout.slice(-2000)}\nstderr:\n${result.stderr.slice(-4000)}`;
    expect(result.done, `the examples did not finish within ${RUN_TIMEOUT_MS} ms\n${detail}`).toBe(true);
    expect(result.signal, `killed: still running ${EXIT_GRACE_MS} ms after the last example\n${detail}`).toBeNull();
    expect(result.code, detail).toBe(0);
  });
});

describe('public API', () => {
  it.each(ENTRIES)('%s exports what README.md documents', (entry) => {
    const module = apiModules.get(entry)!;
    const missing = DOCUMENTED_API[entry].filter((name) => module[name] === undefined);
    expect(missing, `documented but not exported by "${entry}"`).toEqual([]);
  });

  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = /^#+ Use it from TypeScript\b[^\n]*\n([\s\S]*?)(?=^#{1,2} |(?![\s\S]))/m.exec(readme)?.[1];
  it.skipIf(section === undefined)('README.md’s "Use it from TypeScript" section names every documented export', () => {
    const unnamed = ENTRIES.flatMap((entry) =>
      DOCUMENTED_API[entry].filter((name) => !new RegExp(`\\b${name}\\b`).test(section!)),
    );
    expect(unnamed, 'in DOCUMENTED_API but not in the README section').toEqual([]);
    for (const entry of ENTRIES)
      expect(section, `the README section does not name the entry "${entry}"`).toContain(entry);
  });
});
