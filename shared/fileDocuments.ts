import { readFile, stat } from 'node:fs/promises';
import type { DocumentReader } from './ports.js';

/** Reads documents from the local file system (the ingest CLI); a missing file reads as null. */
export class FileDocumentReader implements DocumentReader {
  async read(name: string, checkSize: (bytes: number | undefined) => void): Promise<Uint8Array | null> {
    try {
      checkSize((await stat(name)).size);
      return await readFile(name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }
}
