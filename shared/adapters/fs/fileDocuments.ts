import { readFile, stat } from 'node:fs/promises';
import { UnsupportedDocumentError } from '../../pipeline/errors.js';
import { METADATA_LIMITS, sidecarOf } from '../../pipeline/metadata.js';
import type { DocumentContent, DocumentReader } from '../../pipeline/ports.js';

type FileInfo = { size: number; mtimeMs: number };
const versionOf = (info: FileInfo) => `${info.size}:${info.mtimeMs}`;

const missingAsNull = (error: unknown): null => {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
  throw error;
};

/** A file's size and mtime, or null when it does not exist. */
function statOrNull(name: string): Promise<FileInfo | null> {
  return stat(name).catch(missingAsNull);
}

/**
 * Reads documents from the local file system (the ingest CLI), each with its `<file>.metadata.json` sidecar when
 * there is one; a missing file reads as null.
 */
export class FileDocumentReader implements DocumentReader {
  async read(name: string, checkSize: (bytes: number | undefined) => void): Promise<DocumentContent | null> {
    const info = await statOrNull(name);
    if (info === null) return null;
    checkSize(info.size);
    const sidecarInfo = await statOrNull(sidecarOf(name));
    if (sidecarInfo && sidecarInfo.size > METADATA_LIMITS.maxSidecarBytes) {
      throw new UnsupportedDocumentError(
        `metadata sidecar is ${sidecarInfo.size} bytes; the limit is ${METADATA_LIMITS.maxSidecarBytes}`,
      );
    }
    const bytes = await readFile(name).catch(missingAsNull);
    if (bytes === null) return null;
    // A sidecar removed since its stat is no sidecar (the document itself is still there).
    const sidecar = sidecarInfo ? await readFile(sidecarOf(name)).catch(missingAsNull) : null;
    return {
      bytes,
      version: `${versionOf(info)}|${sidecar && sidecarInfo ? versionOf(sidecarInfo) : '-'}`,
      userMetadata: {},
      sidecar,
    };
  }

  async version(name: string): Promise<string | null> {
    const [info, sidecarInfo] = await Promise.all([statOrNull(name), statOrNull(sidecarOf(name))]);
    return info === null ? null : `${versionOf(info)}|${sidecarInfo ? versionOf(sidecarInfo) : '-'}`;
  }
}
