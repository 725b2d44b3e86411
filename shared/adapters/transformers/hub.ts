import path from 'node:path';
import { env } from '@xenova/transformers';

export interface ModelHubOptions {
  /** Folder with models in Hugging Face layout (`<dir>/<model id>/onnx/...`); tried before the hub. */
  dir?: string;
  /** Whether the Hugging Face hub may be used; false makes a missing local model an error. */
  allowRemote: boolean;
  /** Where downloaded files are cached (Lambda: a folder under /tmp, the only writable path). */
  cacheDir?: string;
}

/**
 * Points transformers.js at local models and/or the hub. transformers.js keeps this in a process-wide
 * `env`, so every model in the process shares it; call once at start-up.
 */
export function configureModelHub(options: ModelHubOptions): void {
  env.allowLocalModels = options.dir !== undefined;
  if (options.dir !== undefined) env.localModelPath = path.resolve(options.dir) + path.sep;
  env.allowRemoteModels = options.allowRemote;
  if (options.cacheDir !== undefined) env.cacheDir = options.cacheDir;
}
