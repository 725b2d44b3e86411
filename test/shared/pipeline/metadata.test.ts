import { describe, expect, it } from 'vitest';
import { UnsupportedDocumentError } from '../../../shared/pipeline/errors.js';
import {
  documentKeyOf,
  documentMetadata,
  metadataHash,
  parseSidecar,
  sidecarOf,
} from '../../../shared/pipeline/metadata.js';

const sidecar = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('parseSidecar', () => {
  it('reads the Bedrock shape: strings, numbers, booleans and lists of strings', () => {
    const parsed = parseSidecar(
      sidecar({ metadataAttributes: { team: 'eng', year: 2024, draft: false, tags: ['q4', 'plan'] } }),
    );
    expect(parsed).toEqual({
      attributes: { team: 'eng', year: 2024, draft: false, tags: ['q4', 'plan'] },
      skipped: [],
    });
  });

  it('skips invalid names, reserved names and unsupported values with a reason each, keeping the rest', () => {
    const parsed = parseSidecar(
      sidecar({
        metadataAttributes: {
          team: 'eng',
          'a.b': 'dot',
          '1st': 'digit',
          source: 'spoof',
          tenant: 'other',
          nested: { x: 1 },
          mixed: ['a', 1],
          empty: [],
          nothing: null,
        },
      }),
    );
    expect(parsed.attributes).toEqual({ team: 'eng' });
    expect(parsed.skipped.map((s) => s.name)).toEqual([
      'a.b',
      '1st',
      'source',
      'tenant',
      'nested',
      'mixed',
      'empty',
      'nothing',
    ]);
    expect(parsed.skipped[0]!.reason).toMatch(/^sidecar: invalid name/);
    expect(parsed.skipped[2]!.reason).toBe('sidecar: "source" is reserved');
    expect(parsed.skipped[4]!.reason).toMatch(/^sidecar: unsupported value \{"x":1\}/);
  });

  it('refuses a sidecar that is not JSON, not the Bedrock shape, or over 10 KB', () => {
    expect(() => parseSidecar(new TextEncoder().encode('{team: eng'))).toThrow('metadata sidecar is not valid JSON');
    expect(() => parseSidecar(sidecar({ team: 'eng' }))).toThrow(/needs \{"metadataAttributes"/);
    expect(() => parseSidecar(sidecar({ metadataAttributes: ['team'] }))).toThrow(UnsupportedDocumentError);
    expect(() => parseSidecar(new Uint8Array(10 * 1024 + 1))).toThrow(
      'metadata sidecar is 10241 bytes; the limit is 10240',
    );
  });
});

describe('documentMetadata', () => {
  it('takes S3 user metadata as strings and lets the sidecar win where both name an attribute', () => {
    const merged = documentMetadata(
      { team: 'ops', customer: 'acme' },
      sidecar({ metadataAttributes: { team: 'eng', year: 2024 } }),
    );
    expect(merged).toEqual({ attributes: { team: 'eng', customer: 'acme', year: 2024 }, skipped: [] });
    expect(documentMetadata({ 'bad.key': 'x' }, null).skipped[0]!.reason).toMatch(/^x-amz-meta: invalid name/);
  });
});

describe('sidecar names', () => {
  it('maps a sidecar to its document and leaves other keys as they are', () => {
    expect(sidecarOf('docs/a.pdf')).toBe('docs/a.pdf.metadata.json');
    expect(documentKeyOf('docs/a.pdf.metadata.json')).toBe('docs/a.pdf');
    expect(documentKeyOf('docs/a.pdf')).toBe('docs/a.pdf');
    expect(documentKeyOf('.metadata.json')).toBe('.metadata.json');
  });
});

describe('metadataHash', () => {
  it('ignores key order and changes with a value or the tenant', () => {
    const base = metadataHash({ a: 1, b: 'x' }, 't');
    expect(metadataHash({ b: 'x', a: 1 }, 't')).toBe(base);
    expect(metadataHash({ a: 2, b: 'x' }, 't')).not.toBe(base);
    expect(metadataHash({ a: 1, b: 'x' }, null)).not.toBe(base);
  });
});
