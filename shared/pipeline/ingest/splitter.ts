import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';

export interface SplitOptions {
  /** Characters per chunk, as the seed. @default 500 */
  chunkSize?: number;
  /** Characters shared by neighbouring chunks. @default 100 */
  chunkOverlap?: number;
}

/**
 * Splits text into chunks with LangChain's RecursiveCharacterTextSplitter (paragraphs, then lines, words,
 * characters), exactly as the seed's `RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=100)`.
 */
export async function splitText(text: string, options: SplitOptions = {}): Promise<string[]> {
  const splitter = new RecursiveCharacterTextSplitter({
    chunkSize: options.chunkSize ?? 500,
    chunkOverlap: options.chunkOverlap ?? 100,
  });
  return splitter.splitText(text);
}

/** The chunks a document is indexed as: splitText's, without blank ones (nothing to embed or find). */
export async function chunkText(text: string, options: SplitOptions = {}): Promise<string[]> {
  return (await splitText(text, options)).filter((c) => c.trim().length > 0);
}
