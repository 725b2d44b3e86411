// transformers.js 2.17 ships no types for its internal modules; only what transformersModel.ts uses.
declare module '@xenova/transformers/src/utils/hub.js' {
  /** A model file's bytes, from the local models folder, the cache or the hub (as from_pretrained reads it). */
  export function getModelFile(
    modelIdOrPath: string,
    filename: string,
    fatal?: boolean,
    options?: Record<string, unknown>,
  ): Promise<Uint8Array>;
}

// The onnxruntime module transformers.js runs its sessions with (onnxruntime-node in Node.js).
declare module '@xenova/transformers/src/backends/onnx.js' {
  export const ONNX: {
    InferenceSession: { create(model: Uint8Array, options: Record<string, unknown>): Promise<unknown> };
  };
}
