import { readFile, stat } from 'node:fs/promises';
import type { DocumentContent, DocumentReader } from './ports.js';

type FileInfo = { size: number; mtimeMs: number };
const versionOf = (info: FileInfo) => `${info.size}:${info.mtimeMs}`;

/** Reads documents from the local file system (the ingest CLI); a missing file reads as null. */
export class FileDocumentReader implements DocumentReader {
  async read(name: string, checkSize: (bytes: number | undefined) => void): Promise<DocumentContent | null> {
    try {
      const info = await stat(name);
      checkSize(info.size);
      return { bytes: await readFile(name), version: versionOf(info) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async version(name: string): Promise<string | null> {
    try {
      return versionOf(await stat(name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }
}
