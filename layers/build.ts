/**
 * Builds the three Lambda layers that `serverless package` zips (see docs/deploy.md), for one architecture, under
 * .build/layers/<architecture>:
 *   lancedb/nodejs/node_modules  LanceDB's Linux binary for that architecture only
 *   onnx/nodejs/node_modules     onnxruntime's Linux binary for that architecture only
 *   models/models/<model id>     the embedding and cross-encoder models (→ /opt/models)
 * The scoring and rerank functions take onnx + models, maintenance lancedb alone, ingest and query all three.
 * A binary for another architecture than this machine's comes from the npm registry (`npm pack`, into .cache/).
 * Every ELF file in the native layers is checked to be of the architecture asked for; the build fails otherwise.
 * Models come from MODELS_DIR when set (offline), otherwise from the Hugging Face hub.
 * Usage: tsx layers/build.ts [--arch x86_64|arm64] [--out <dir>] [--embedding-model <id>] [--reranker-model <id>] [--dtype int8|fp32]
 *   (--arch defaults to ARCHITECTURE, else x86_64: serverless.yml's `architecture` param;
 *   --out defaults to <LAYERS_DIR, else .build/layers>/<architecture>: serverless.yml's `layersDir` param)
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AutoModel, AutoModelForSequenceClassification, AutoTokenizer, env } from '@xenova/transformers';
import { ARCHITECTURES, type Architecture, nativeFiles } from './elf.js';

const { values } = parseArgs({
  options: {
    arch: { type: 'string', default: process.env.ARCHITECTURE ?? 'x86_64' },
    'embedding-model': { type: 'string', default: process.env.EMBEDDING_MODEL ?? 'Xenova/all-MiniLM-L6-v2' },
    'reranker-model': { type: 'string', default: process.env.RERANKER_MODEL ?? 'Xenova/ms-marco-MiniLM-L-6-v2' },
    dtype: { type: 'string', default: 'int8' },
    out: { type: 'string' },
  },
});
if (!(values.arch in ARCHITECTURES)) throw new Error(`--arch must be one of ${Object.keys(ARCHITECTURES).join(', ')}`);
const arch = values.arch as Architecture;
const { node: cpu, elf: machine } = ARCHITECTURES[arch];
const out = path.resolve(values.out ?? path.join(process.env.LAYERS_DIR ?? '.build/layers', arch));
const require = createRequire(import.meta.url);

function sizeOf(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .reduce((sum, e) => sum + statSync(path.join(e.parentPath, e.name)).size, 0);
}
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Folder of an installed package, resolved the way the bundled code will resolve it. */
function packageDir(name: string, from?: string): string {
  const resolved = require.resolve(`${name}/package.json`, from ? { paths: [from] } : undefined);
  return path.dirname(resolved);
}

/** A fresh `<layer>/nodejs/node_modules` folder. */
function layerModules(layer: string): string {
  rmSync(path.join(out, layer), { recursive: true, force: true });
  const modules = path.join(out, layer, 'nodejs', 'node_modules');
  mkdirSync(modules, { recursive: true });
  return modules;
}

/**
 * The folder of `name@version`: the installed copy when it is that version (this machine's architecture), else the
 * registry's tarball unpacked under .cache/layers (kept: the next build of that architecture needs no download).
 */
function platformPackage(name: string, version: string): string {
  try {
    const installed = packageDir(name);
    if ((require(path.join(installed, 'package.json')) as { version: string }).version === version) return installed;
  } catch {
    // not installed here: another architecture's package
  }
  const cache = path.resolve('.cache', 'layers');
  const unpacked = path.join(cache, `${name.replace('/', '+')}@${version}`);
  if (!existsSync(path.join(unpacked, 'package.json'))) {
    mkdirSync(cache, { recursive: true });
    const tarball = execFileSync('npm', ['pack', `${name}@${version}`, '--silent', '--pack-destination', cache], {
      encoding: 'utf8',
    }).trim();
    mkdirSync(unpacked, { recursive: true });
    execFileSync('tar', ['-xzf', path.join(cache, tarball), '-C', unpacked, '--strip-components=1']);
    rmSync(path.join(cache, tarball));
  }
  return unpacked;
}

// --- lancedb layer: LanceDB's binary for the one architecture (the JS is in each function's bundle) ---
// Its package exports no package.json: read the one beside its entry point (dist/index.js).
const lancedbRoot = path.resolve(path.dirname(require.resolve('@lancedb/lancedb')), '..');
const lancedbVersion = (JSON.parse(readFileSync(path.join(lancedbRoot, 'package.json'), 'utf8')) as { version: string })
  .version;
const lancedbNative = `@lancedb/lancedb-linux-${cpu}-gnu`;
cpSync(platformPackage(lancedbNative, lancedbVersion), path.join(layerModules('lancedb'), lancedbNative), {
  recursive: true,
});

// --- onnx layer: onnxruntime-node with one platform's binary (it ships every platform: 77 MB) ---
// transformers.js 2.17 pins onnxruntime-node 1.14 (its own nested copy).
const onnxModules = layerModules('onnx');
const transformersDir = packageDir('@xenova/transformers');
const ortDir = packageDir('onnxruntime-node', transformersDir);
const ortCommonDir = packageDir('onnxruntime-common', ortDir);
const ortOut = path.join(onnxModules, 'onnxruntime-node');
for (const part of ['package.json', 'dist', path.join('bin', 'napi-v3', 'linux', cpu)]) {
  cpSync(path.join(ortDir, part), path.join(ortOut, part), { recursive: true });
}
cpSync(ortCommonDir, path.join(onnxModules, 'onnxruntime-common'), { recursive: true });

// The loader accepts what the ELF header says, whatever the file is called.
for (const layer of ['lancedb', 'onnx']) {
  const files = nativeFiles(path.join(out, layer));
  const wrong = files.filter((f) => f.machine !== machine);
  if (files.length === 0 || wrong.length > 0) {
    throw new Error(
      `${layer} layer for ${arch}: ${files.length === 0 ? 'no native file' : wrong.map((f) => `${f.file} is ${f.machine}`).join(', ')}`,
    );
  }
}

// --- models layer: /opt/models/<id>/{config,tokenizer*.json, onnx/model[_quantized].onnx} ---
const modelsOut = path.join(out, 'models', 'models');
rmSync(path.join(out, 'models'), { recursive: true, force: true });
mkdirSync(modelsOut, { recursive: true });
const onnxFile = values.dtype === 'fp32' ? 'model.onnx' : 'model_quantized.onnx';
const files = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', `onnx/${onnxFile}`];
for (const [id, kind] of [
  [values['embedding-model'], 'embed'],
  [values['reranker-model'], 'rerank'],
] as const) {
  const target = path.join(modelsOut, id);
  if (process.env.MODELS_DIR) {
    for (const file of files) {
      const source = path.join(process.env.MODELS_DIR, id, file);
      if (existsSync(source)) cpSync(source, path.join(target, file), { recursive: true });
    }
  } else {
    // transformers.js caches hub files as <cacheDir>/<id>/<file>: the layout MODELS_DIR expects.
    env.allowLocalModels = false;
    env.cacheDir = modelsOut;
    await AutoTokenizer.from_pretrained(id);
    const Model = kind === 'rerank' ? AutoModelForSequenceClassification : AutoModel;
    await Model.from_pretrained(id, { quantized: values.dtype !== 'fp32' });
  }
  if (!existsSync(path.join(target, 'onnx', onnxFile))) throw new Error(`model ${id} has no onnx/${onnxFile}`);
}

const sizes = ['lancedb', 'onnx', 'models'].map((layer) => `${layer} ${mb(sizeOf(path.join(out, layer)))}`);
process.stdout.write(`layers for ${arch} (unzipped): ${sizes.join(', ')} → ${out}\n`);
