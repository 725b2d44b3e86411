/**
 * pdf.js's worker module ships without types. Imported in this thread and handed to pdf.js as
 * `globalThis.pdfjsWorker`, so its parser runs without a worker file (none exists in a bundle).
 */
declare module 'pdfjs-dist/legacy/build/pdf.worker.mjs' {
  export const WorkerMessageHandler: unknown;
}
