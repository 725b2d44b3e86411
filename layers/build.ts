/**
 * Builds the two Lambda layers that `serverless package` zips (see README.md, "Deploy"):
 *   .build/layers/native/nodejs/node_modules  LanceDB's and onnxruntime's Linux x64 binaries only
 *   .build/layers/models/models/<model id>    the embedding and cross-encoder models (→ /opt/models)
 * Models come from MODELS_DIR when set (offline), otherwise from the Hugging Face hub.
 * Usage: tsx layers/build.ts [--embedding-model <id>] [--reranker-model <id>] [--dtype int8|fp32]
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AutoModel, AutoModelForSequenceClassification, AutoTokenizer, env } from '@xenova/transformers';

const { values } = parseArgs({
  options: {
    'embedding-model': { type: 'string', default: process.env.EMBEDDING_MODEL ?? 'Xenova/all-MiniLM-L6-v2' },
    'reranker-model': { type: 'string', default: process.env.RERANKER_MODEL ?? 'Xenova/ms-marco-MiniLM-L-6-v2' },
    dtype: { type: 'string', default: 'int8' },
    out: { type: 'string', default: '.build/layers' },
  },
});
const out = path.resolve(values.out);
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

// --- native layer: what Linux x64 needs, nothing else (onnxruntime-node ships every platform: 77 MB) ---
const nativeModules = path.join(out, 'native', 'nodejs', 'node_modules');
rmSync(path.join(out, 'native'), { recursive: true, force: true });
mkdirSync(nativeModules, { recursive: true });
cpSync(packageDir('@lancedb/lancedb-linux-x64-gnu'), path.join(nativeModules, '@lancedb', 'lancedb-linux-x64-gnu'), {
  recursive: true,
});
// transformers.js 2.17 pins onnxruntime-node 1.14 (its own nested copy).
const transformersDir = packageDir('@xenova/transformers');
const ortDir = packageDir('onnxruntime-node', transformersDir);
const ortCommonDir = packageDir('onnxruntime-common', ortDir);
const ortOut = path.join(nativeModules, 'onnxruntime-node');
for (const part of ['package.json', 'dist', path.join('bin', 'napi-v3', 'linux', 'x64')]) {
  cpSync(path.join(ortDir, part), path.join(ortOut, part), { recursive: true });
}
cpSync(ortCommonDir, path.join(nativeModules, 'onnxruntime-common'), { recursive: true });

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

process.stdout.write(
  `native layer ${mb(sizeOf(path.join(out, 'native')))}, models layer ${mb(sizeOf(path.join(out, 'models')))} (unzipped) → ${out}\n`,
);
