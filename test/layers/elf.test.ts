import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { elfMachine, nativeFiles } from '../../layers/elf.js';

/** The first 20 bytes of an ELF file: magic, class 64-bit, the given byte order, and e_machine at byte 18. */
function elfHeader(machine: number, littleEndian = true): Uint8Array {
  const header = new Uint8Array(20);
  header.set([0x7f, 0x45, 0x4c, 0x46, 2, littleEndian ? 1 : 2, 1]);
  header[18] = littleEndian ? machine & 0xff : machine >> 8;
  header[19] = littleEndian ? machine >> 8 : machine & 0xff;
  return header;
}

describe('elfMachine', () => {
  it('names x86-64 (62) and aarch64 (183) from the header', () => {
    expect(elfMachine(elfHeader(62))).toBe('x86-64');
    expect(elfMachine(elfHeader(183))).toBe('aarch64');
  });

  it('reads e_machine in the byte order the header declares', () => {
    expect(elfMachine(elfHeader(183, false))).toBe('aarch64');
  });

  it('names any other machine by its number', () => {
    expect(elfMachine(elfHeader(243))).toBe('machine 243'); // RISC-V
  });

  it('returns null for bytes that are not ELF or too short to hold e_machine', () => {
    expect(elfMachine(new TextEncoder().encode('{"name":"not-elf","version":"1.0.0"}'))).toBeNull();
    expect(elfMachine(elfHeader(62).slice(0, 19))).toBeNull();
  });
});

describe('nativeFiles', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'elf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists every ELF file below a folder, whatever its name, and skips the rest', () => {
    mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(path.join(dir, 'a', 'addon.node'), elfHeader(62));
    writeFileSync(path.join(dir, 'a', 'b', 'libonnxruntime.so.1.14.0'), elfHeader(183));
    writeFileSync(path.join(dir, 'a', 'index.js'), 'module.exports = {};');
    writeFileSync(path.join(dir, 'empty.node'), '');
    expect(nativeFiles(dir).sort((x, y) => x.file.localeCompare(y.file))).toEqual([
      { file: path.join('a', 'addon.node'), machine: 'x86-64' },
      { file: path.join('a', 'b', 'libonnxruntime.so.1.14.0'), machine: 'aarch64' },
    ]);
  });
});
