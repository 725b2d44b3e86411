import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The shape docs/architecture.md promises for shared/: arrows point one way (the pipeline knows its ports only,
 * adapters know the ports and the contract, wiring knows all), no import cycles, small folders and small files.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const SOURCE_FOLDERS = ['shared', 'functions', 'cli', 'local', 'endpoint', 'layers', 'bench', 'evaluation'];

function filesUnder(folder: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

/** Every module a file imports: repo paths for relative imports (`.js` read as `.ts`), package names otherwise. */
function importsOf(file: string): { local: string[]; packages: string[] } {
  const source = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const specs = [...source.matchAll(/(?:^import|^export)[^;]*?from\s+'([^']+)'|import\('([^']+)'\)/gms)].map(
    (m) => (m[1] ?? m[2])!,
  );
  const local = specs
    .filter((s) => s.startsWith('.'))
    .map((s) => path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), s)).replace(/\.js$/, '.ts'));
  return { local, packages: specs.filter((s) => !s.startsWith('.')) };
}

/** The role a shared/ file plays: pipeline, api, wiring, the public index, or `adapters/<system>`. */
function roleOf(file: string): string {
  const [, role, system] = file.split('/');
  if (role === 'adapters') return `adapters/${system}`;
  return role!.endsWith('.ts') ? 'index' : role!;
}

/** What each role may import, besides itself. */
function mayImport(from: string, to: string): boolean {
  if (from === to || from === 'wiring' || from === 'index') return true;
  if (to === 'pipeline') return from !== 'pipeline';
  if (to === 'api') return from.startsWith('adapters/');
  // The LangChain entry point also hands LangChain users the transformers.js embedder.
  return from === 'adapters/langchain' && to === 'adapters/transformers';
}

const SHARED = filesUnder('shared').filter((f) => !f.endsWith('.d.ts'));

describe('shared/ layout', () => {
  it('imports point one way: pipeline → pipeline; adapters → pipeline, api; api → pipeline; wiring → all', () => {
    const wrong = SHARED.flatMap((file) =>
      importsOf(file)
        .local.filter((target) => !target.startsWith('shared/') || !mayImport(roleOf(file), roleOf(target)))
        .map((target) => `${file} → ${target}`),
    );
    expect(wrong).toEqual([]);
  });

  it('the pipeline uses no outside library but the LangChain splitter, and no AWS SDK anywhere but adapters and wiring', () => {
    const pipelinePackages = SHARED.filter((f) => roleOf(f) === 'pipeline').flatMap((file) =>
      importsOf(file)
        .packages.filter((p) => !p.startsWith('node:') && p !== '@langchain/textsplitters')
        .map((p) => `${file} → ${p}`),
    );
    expect(pipelinePackages).toEqual([]);
    const aws = SHARED.filter((f) => !/^(adapters|wiring)/.test(roleOf(f))).flatMap((file) =>
      importsOf(file)
        .packages.filter((p) => p.startsWith('@aws-sdk/') || p === '@lancedb/lancedb')
        .map((p) => `${file} → ${p}`),
    );
    expect(aws).toEqual([]);
  });

  it('has no import cycle', () => {
    const graph = new Map(SHARED.map((f) => [f, importsOf(f).local.filter((t) => t.startsWith('shared/'))]));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, trail: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) visit(next, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('keeps every folder of shared/ to at most 12 files', () => {
    const counts = new Map<string, number>();
    for (const file of filesUnder('shared')) counts.set(path.dirname(file), (counts.get(path.dirname(file)) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n > 12)).toEqual([]);
  });

  it('keeps every source file to at most 300 lines', () => {
    const long = SOURCE_FOLDERS.flatMap(filesUnder)
      .map((file) => [file, fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n').length] as const)
      .filter(([, lines]) => lines > 300);
    expect(long).toEqual([]);
  });
});
