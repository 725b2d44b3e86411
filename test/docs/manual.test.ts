import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../shared/wiring/config.js';

/**
 * The manual (README.md and docs/) against the code and the tree: every environment variable the code reads has a
 * row in docs/configuration.md and every row names one; the folder map of docs/architecture.md matches the folders;
 * the README stays a front door whose links resolve. Pure file reading: no server, no child process.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** Folders whose code may read environment variables. */
const SOURCE_DIRS = ['cli', 'local', 'layers', 'functions', 'shared', 'bench', 'endpoint', 'evaluation'];

/** Set by Node.js, the shell or the Lambda runtime, not by whoever deploys or runs this project. */
const PLATFORM_VARIABLES = new Set(['HOME', 'PATH', 'TMPDIR', 'LANG', 'NODE_ENV', 'NODE_OPTIONS']);
const isPlatformVariable = (name: string) => PLATFORM_VARIABLES.has(name) || name.startsWith('AWS_LAMBDA_');

/**
 * Documented variables read by a library or a dependency's install script rather than by our code, each with the
 * file that sets or names it (so a row for one is stale once nothing does).
 */
const READ_BY_LIBRARIES: Record<string, string> = {
  POWERTOOLS_LOG_LEVEL: 'serverless.yml',
  POWERTOOLS_TRACE_ENABLED: 'serverless.yml',
  ONNXRUNTIME_NODE_INSTALL_CUDA: '.ci/run',
};

/** How code reads a variable, by kind of file; group 1 is the name. */
const READ_PATTERNS: { ext: RegExp; patterns: RegExp[] }[] = [
  {
    ext: /\.(ts|cjs|mjs|js)$/,
    patterns: [
      /process\.env\.([A-Z][A-Z0-9_]*)\b/g,
      /process\.env\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\]/g,
      // cli/start.ts: envNumber('S3_PORT', 4569)
      /envNumber\(\s*['"]([A-Z][A-Z0-9_]*)['"]/g,
      // a parameter standing for the environment: keySourceFromEnv(env = process.env), localKeyHashes(env)
      /\benv\.([A-Z][A-Z0-9_]*)\b/g,
    ],
  },
  { ext: /\.py$/, patterns: [/os\.environ(?:\.get\(|\[)\s*['"]([A-Z][A-Z0-9_]*)['"]/g] },
  // endpoint/serve: ${SM_MODEL_DIR:-/opt/ml/model}
  { ext: /(^|\/)serve$/, patterns: [/\$\{([A-Z][A-Z0-9_]*):?-/g] },
];

function filesUnder(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)))
    .filter((file) => !file.split(path.sep).includes('node_modules'));
}

/** Variable name → the files that read it, found by READ_PATTERNS in the given folders. */
function variablesReadIn(dirs: string[]): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const file of dirs.flatMap(filesUnder)) {
    const kind = READ_PATTERNS.find((k) => k.ext.test(file));
    if (!kind) continue;
    const text = read(file);
    for (const pattern of kind.patterns) {
      for (const match of text.matchAll(pattern)) {
        const name = match[1]!;
        if (!found.has(name)) found.set(name, new Set());
        found.get(name)!.add(file);
      }
    }
  }
  return found;
}

/** `${env:NAME, 'default'}` in serverless.yml. */
function serverlessVariables(): Set<string> {
  return new Set([...read('serverless.yml').matchAll(/\$\{env:([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
}

const configRows = read('docs/configuration.md')
  .split('\n')
  .filter((line) => line.startsWith('| `'));
// `biome check` formats markdown: it pads the cells of a table to its widest, so cells are read trimmed.
const cellsOf = (row: string) =>
  row
    .split('|')
    .slice(1, -1)
    .map((cell) => cell.trim());
const documented = configRows.map((line) => /^`([A-Z][A-Z0-9_]*)`$/.exec(cellsOf(line)[0] ?? '')?.[1] ?? line);

describe('docs/configuration.md', () => {
  it('has a row for every name in CONFIG_VARIABLES (shared/wiring/config.ts)', () => {
    expect(CONFIG_VARIABLES.length).toBeGreaterThan(40);
    expect(CONFIG_VARIABLES.filter((name) => !documented.includes(name))).toEqual([]);
  });

  it('has a row for every environment variable the code reads outside config.ts, and every env: of serverless.yml', () => {
    const reads = variablesReadIn(SOURCE_DIRS);
    for (const name of serverlessVariables()) reads.set(name, new Set([...(reads.get(name) ?? []), 'serverless.yml']));
    // The scan finds the ones this test was written against; a scan that finds nothing is broken, not clean.
    for (const name of ['SCORING_PORT', 'SCORING_INSTANCES', 'ARCHITECTURE', 'S3_PORT', 'API_KEYS_PARAMETER']) {
      expect(reads.has(name), `${name} not found by the scan`).toBe(true);
    }
    const missing = [...reads]
      .filter(([name]) => !isPlatformVariable(name) && !documented.includes(name))
      .map(([name, files]) => `${name} (read in ${[...files].join(', ')})`);
    expect(missing).toEqual([]);
  });

  it('names, in every row, a variable something reads (no stale rows)', () => {
    const readSomewhere = new Set([
      ...CONFIG_VARIABLES,
      ...variablesReadIn([...SOURCE_DIRS, 'test']).keys(),
      ...serverlessVariables(),
    ]);
    for (const [name, file] of Object.entries(READ_BY_LIBRARIES)) {
      if (read(file).includes(name)) readSomewhere.add(name);
    }
    expect(documented.filter((name) => !readSomewhere.has(name))).toEqual([]);
  });

  it('has one short row per variable: name, default, what it does', () => {
    const duplicates = documented.filter((name, i) => documented.indexOf(name) !== i);
    expect(duplicates).toEqual([]);
    for (const row of configRows) {
      const cells = cellsOf(row);
      expect(cells, `a row is | \`NAME\` | default | what it does |: ${row}`).toHaveLength(3);
      expect(cells[0]).toMatch(/^`[A-Z][A-Z0-9_]*`$/);
      expect(cells[1]!.length, `a default: ${row}`).toBeGreaterThan(0);
      expect(cells[2]!.length, `split the detail into the notes below the table: ${row}`).toBeLessThanOrEqual(200);
    }
  });
});

/** Folders to the depth the map covers, without tools' output, dot-folders or empty folders (git keeps none). */
function foldersInTree(): string[] {
  const out: string[] = [];
  const walk = (rel: string, depth: number) => {
    for (const entry of readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.') || ['node_modules', 'coverage'].includes(entry.name)) {
        continue;
      }
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (!hasFiles(child)) continue;
      out.push(`${child}/`);
      if (depth < 2 && child !== 'test/fixtures') walk(child, depth + 1);
    }
  };
  walk('', 1);
  return out.sort();
}

function hasFiles(rel: string): boolean {
  return readdirSync(path.join(ROOT, rel), { recursive: true, withFileTypes: true }).some((e) => e.isFile());
}

/** The entries of docs/architecture.md's "Folder map": list items that start with a backticked `folder/`. */
function folderMap(): string[] {
  const text = read('docs/architecture.md');
  const section = /^## Folder map\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(text)?.[1] ?? '';
  return [...section.matchAll(/^\s*[-*] `([^`]+\/)`/gm)].map((m) => m[1]!);
}

describe('docs/architecture.md folder map', () => {
  const map = folderMap();

  it('names only folders that exist', () => {
    expect(map.length).toBeGreaterThan(20);
    expect(
      map.filter((folder) => !existsSync(path.join(ROOT, folder)) || !statSync(path.join(ROOT, folder)).isDirectory()),
    ).toEqual([]);
  });

  it('names every folder to depth 2 (shared/, functions/, local/, cli/, layers/, bench/, test/ and the rest)', () => {
    const tree = foldersInTree();
    for (const top of ['shared/', 'functions/', 'local/', 'cli/', 'layers/', 'bench/', 'test/']) {
      expect(tree).toContain(top);
    }
    expect(tree.filter((folder) => !map.includes(folder))).toEqual([]);
  });
});

/** Relative link targets of a markdown file: [text](target) and ![alt](target), without URLs or pure anchors. */
function relativeLinks(markdown: string): string[] {
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...withoutCode.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#'));
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2… */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const [, heading] of withoutCode.matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = heading!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

const manualFiles = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('README.md and docs/', () => {
  const readme = read('README.md');

  it('README.md is a front door: at most 12,288 bytes, no path outside the repository', () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(12_288);
    expect(readme).not.toContain('../shared');
    expect(readme).not.toMatch(/\]\(\.\.\//);
  });

  it("README.md's first code block holds the two set-up commands", () => {
    const first = /```[a-z]*\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = first
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter(Boolean);
    expect(commands).toEqual(['ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm ci && npm run demo', 'npm test']);
  });

  it('README.md links every page of docs/', () => {
    const linked = new Set(relativeLinks(readme).map((target) => target.split('#')[0]));
    expect(manualFiles.filter((file) => file !== 'README.md' && !linked.has(file))).toEqual([]);
  });

  it.each(manualFiles)(
    'every relative link in %s points to a file that exists (and its anchor to a heading)',
    (file) => {
      const broken: string[] = [];
      for (const target of relativeLinks(read(file))) {
        const [pathPart, anchor] = target.split('#') as [string, string | undefined];
        const resolved = path.join(ROOT, path.dirname(file), decodeURIComponent(pathPart));
        if (!resolved.startsWith(ROOT + path.sep) || !existsSync(resolved)) {
          broken.push(target);
        } else if (anchor && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(anchor)) {
          broken.push(`${target} (no such heading)`);
        }
      }
      expect(broken).toEqual([]);
    },
  );

  it.each(manualFiles)('every in-page anchor of %s names a heading of it', (file) => {
    const text = read(file);
    const own = anchors(text);
    const withoutCode = text.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
    const targets = [...withoutCode.matchAll(/\]\(#([^)\s]+)\)/g)].map((m) => m[1]!);
    expect(targets.filter((anchor) => !own.has(anchor))).toEqual([]);
  });
});
