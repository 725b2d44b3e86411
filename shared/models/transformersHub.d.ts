// transformers.js 2.17 ships no types for its hub module; only what transformersModel.ts calls.
declare module '@xenova/transformers/src/utils/hub.js' {
  /** A model file's bytes, from the local models folder, the cache or the hub (as from_pretrained reads it). */
  export function getModelFile(
    modelIdOrPath: string,
    filename: string,
    fatal?: boolean,
    options?: Record<string, unknown>,
  ): Promise<Uint8Array>;
}
