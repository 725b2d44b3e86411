import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Judgements } from './metrics.js';

export interface BeirDocument {
  id: string;
  title: string;
  text: string;
}

export interface BeirDataset {
  name: string;
  corpus: BeirDocument[];
  queries: { id: string; text: string }[];
  qrels: Map<string, Judgements>;
}

/** The text a BEIR document is indexed as: its title, when it has one, on the line before its text. */
export function documentText(document: BeirDocument): string {
  return document.title ? `${document.title}\n${document.text}` : document.text;
}

const DocumentSchema = z
  .object({ _id: z.string().optional(), id: z.string().optional(), title: z.string().default(''), text: z.string() })
  .refine((d) => d._id !== undefined || d.id !== undefined, 'document needs _id or id');
const QuerySchema = z
  .object({ _id: z.string().optional(), id: z.string().optional(), text: z.string() })
  .refine((q) => q._id !== undefined || q.id !== undefined, 'query needs _id or id');

function readJsonl<T>(file: string, schema: z.ZodType<T>): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const parsed = schema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`${file}:${i + 1}: ${parsed.error.issues[0]?.message}`);
      return parsed.data;
    });
}

/** Reads qrels TSV (`query-id corpus-id score`, optional header). */
export function parseQrels(tsv: string): Map<string, Judgements> {
  const qrels = new Map<string, Judgements>();
  for (const line of tsv.split('\n')) {
    const cells = line.trim().split('\t');
    if (cells.length < 3 || !/^-?\d+$/.test(cells[2]!)) continue; // header or blank
    const [queryId, docId, grade] = cells as [string, string, string];
    if (!qrels.has(queryId)) qrels.set(queryId, new Map());
    qrels.get(queryId)!.set(docId, Number(grade));
  }
  return qrels;
}

/** Loads a dataset in BEIR layout: corpus.jsonl, queries.jsonl, qrels/test.tsv (or qrels.tsv). */
export function loadBeir(dir: string): BeirDataset {
  const qrelsFile = [path.join(dir, 'qrels', 'test.tsv'), path.join(dir, 'qrels.tsv')].find(existsSync);
  if (!qrelsFile) throw new Error(`${dir}: no qrels/test.tsv or qrels.tsv`);
  return {
    name: path.basename(path.resolve(dir)),
    corpus: readJsonl(path.join(dir, 'corpus.jsonl'), DocumentSchema).map((d) => ({
      id: (d._id ?? d.id)!,
      title: d.title ?? '',
      text: d.text,
    })),
    queries: readJsonl(path.join(dir, 'queries.jsonl'), QuerySchema).map((q) => ({
      id: (q._id ?? q.id)!,
      text: q.text,
    })),
    qrels: parseQrels(readFileSync(qrelsFile, 'utf8')),
  };
}
