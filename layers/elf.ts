import { openSync, readSync, closeSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Lambda's architectures, by the names serverless.yml and Node.js give them. */
export const ARCHITECTURES = {
  x86_64: { node: 'x64', elf: 'x86-64' },
  arm64: { node: 'arm64', elf: 'aarch64' },
} as const;
export type Architecture = keyof typeof ARCHITECTURES;

/** ELF e_machine values of the two (System V ABI); anything else is named by its number. */
const MACHINES: Record<number, string> = { 62: 'x86-64', 183: 'aarch64' };

/**
 * The machine an ELF file is built for, read from its header (e_machine, at byte 18, in the file's byte order), or
 * null when the bytes are not an ELF file. The header, not the file name, says what the loader will accept.
 */
export function elfMachine(header: Uint8Array): string | null {
  if (header.length < 20 || header[0] !== 0x7f || header[1] !== 0x45 || header[2] !== 0x4c || header[3] !== 0x46) {
    return null;
  }
  const littleEndian = header[5] === 1;
  const machine = littleEndian ? header[18]! | (header[19]! << 8) : (header[18]! << 8) | header[19]!;
  return MACHINES[machine] ?? `machine ${machine}`;
}

function readHeader(file: string): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const header = new Uint8Array(20);
    readSync(fd, header, 0, header.length, 0);
    return header;
  } finally {
    closeSync(fd);
  }
}

/** Every ELF file under `dir` (native addons, shared libraries, executables) with its machine. */
export function nativeFiles(dir: string): { file: string; machine: string }[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .flatMap((entry) => {
      const file = path.join(entry.parentPath, entry.name);
      const machine = elfMachine(readHeader(file));
      return machine ? [{ file: path.relative(dir, file), machine }] : [];
    });
}
