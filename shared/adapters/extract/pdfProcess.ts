import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PDF_ISOLATION, type PdfIsolation } from '../../pipeline/ingest/document.js';
import { UnsupportedDocumentError } from '../../pipeline/errors.js';
import { extractPdf } from './pdf.js';
import type { ExtractedText } from '../../pipeline/ports.js';

/**
 * PDFs are read in a child process with a memory limit and a deadline: whatever a hostile PDF makes pdf.js do (a
 * bomb in an encrypted stream the pre-check cannot measure, a pathological font), the child is stopped and the
 * document skipped with a reason, while the function and its other documents carry on. The limit is on the child's
 * resident memory, read from /proc every WATCH_MS and enforced with SIGKILL (pages count when pdf.js fills them, at
 * most a few GB/s, so it overshoots by little; an OS limit on the data segment would not do: pdf.js alone reserves
 * over 1 GB of it untouched), plus V8's own heap limit. One child serves the documents one after another and is
 * replaced after a failure.
 */

/** The child's last argument: this module then serves extraction requests over the IPC channel (an argument, not
 * an environment variable, so nothing the child might start inherits it). */
const CHILD_FLAG = '--rerank-pdf-child';

interface Request {
  bytes: Uint8Array;
  maxChars: number;
  memoryMb: number;
}
/** A failed reply: `unsupported` when the PDF is the cause (a skip), `spent` when the child should not be reused. */
type Reply = { ok: true; result: ExtractedText } | { ok: false; unsupported: boolean; spent: boolean; message: string };

/** How often the child's resident memory is read while it works. */
const WATCH_MS = 20;

/**
 * A process's resident memory in MiB (Linux: VmRSS, whatever the page size), or null where /proc cannot tell: the
 * limit then holds only for V8's heap, and the deadline for everything.
 */
function residentMb(pid: number): number | null {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1];
    return kb === undefined ? null : Number(kb) / 1024;
  } catch {
    return null;
  }
}

const outOfMemory = (memoryMb: number) =>
  new UnsupportedDocumentError(`PDF extraction needed more than ${memoryMb} MiB of memory (a compression bomb?)`);

// The child: this same module (the function's bundle, or this file under tsx), loaded with the flag set.
if (process.argv.at(-1) === CHILD_FLAG && typeof process.send === 'function') {
  process.on('message', ({ bytes, maxChars, memoryMb }: Request) => {
    extractPdf(bytes, maxChars).then(
      (result) => process.send!({ ok: true, result } satisfies Reply),
      (error: unknown) => {
        const message = (error as Error).message ?? String(error);
        const unsupported = error instanceof UnsupportedDocumentError;
        const reply: Reply = /allocation failed|out of memory/i.test(message)
          ? { ok: false, unsupported: true, spent: true, message: outOfMemory(memoryMb).message }
          : { ok: false, unsupported, spent: !unsupported, message };
        process.send!(reply);
      },
    );
  });
  process.on('disconnect', () => process.exit(0));
}

/** This module's file and how to run it: the bundle as it is, a TypeScript source through tsx. */
function childCommand(): { entry: string; execArgv: string[]; cwd: string } {
  const entry = fileURLToPath(import.meta.url);
  const source = entry.endsWith('.ts');
  return {
    entry,
    execArgv: source ? ['--import', 'tsx'] : [],
    cwd: source ? path.resolve(path.dirname(entry), '../..') : path.dirname(entry),
  };
}

class PdfProcess {
  #child: ChildProcess | null = null;
  /** The memory limit the child was started with (another one needs another child). */
  #memoryMb = 0;
  #queue: Promise<unknown> = Promise.resolve();

  extract(bytes: Uint8Array, maxChars: number, limits: PdfIsolation): Promise<ExtractedText> {
    const run = this.#queue.then(() => this.#extract(bytes, maxChars, limits));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #spawn(limits: PdfIsolation): ChildProcess {
    const { entry, execArgv, cwd } = childCommand();
    const child = spawn(process.execPath, [...execArgv, `--max-old-space-size=${limits.memoryMb}`, entry, CHILD_FLAG], {
      cwd,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      serialization: 'advanced',
    });
    // Its output is not kept: pdf.js's warnings, and V8's report when the limit stops it, say nothing to act on (the
    // document's skip reason does). An idle child never keeps its parent (a CLI, a test run) alive; it leaves when
    // the channel closes.
    child.unref();
    child.channel?.unref();
    // One that dies while idle is replaced by the next request.
    child.once('exit', () => {
      if (this.#child === child) this.#child = null;
    });
    return child;
  }

  #retire(): void {
    this.#child?.kill('SIGKILL');
    this.#child = null;
  }

  async #extract(bytes: Uint8Array, maxChars: number, limits: PdfIsolation): Promise<ExtractedText> {
    if (this.#child && this.#memoryMb !== limits.memoryMb) this.#retire();
    this.#memoryMb = limits.memoryMb;
    this.#child ??= this.#spawn(limits);
    const child = this.#child;
    child.channel?.ref();
    try {
      return await new Promise<ExtractedText>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          clearInterval(watch);
          child.off('message', onMessage).off('exit', onExit).off('error', onError);
        };
        let resident: number | null = null;
        const watch = setInterval(() => {
          resident = child.pid === undefined ? null : residentMb(child.pid);
          if (resident === null || resident <= limits.memoryMb) return;
          done();
          this.#retire();
          reject(outOfMemory(limits.memoryMb));
        }, WATCH_MS);
        const timer = setTimeout(() => {
          done();
          this.#retire();
          reject(new UnsupportedDocumentError(`PDF extraction took longer than ${limits.timeoutMs / 1000} s`));
        }, limits.timeoutMs);
        const onMessage = (reply: Reply) => {
          done();
          if (reply.ok) {
            // A child that grew for a large PDF would keep that memory while idle, beside the function: replace it.
            const after = child.pid === undefined ? null : residentMb(child.pid);
            if (after !== null && after > limits.memoryMb / 2) this.#retire();
            return resolve(reply.result);
          }
          if (reply.spent) this.#retire(); // its memory or pdf.js's state may be in a bad way
          reject(reply.unsupported ? new UnsupportedDocumentError(reply.message) : new Error(reply.message));
        };
        const onExit = (code: number | null, signal: string | null) => {
          done();
          this.#child = null;
          const how = signal ?? `exit code ${code}`;
          // V8 stops at its heap limit (SIGABRT, 134); any other stop, or one far below the limit, is something else
          // going wrong (a failed start, a crash): an error, so the document is tried again, never a bomb skip.
          const heapLimit = signal === 'SIGABRT' || code === 134;
          if (heapLimit || (resident !== null && resident > limits.memoryMb / 2)) {
            reject(
              new UnsupportedDocumentError(`${outOfMemory(limits.memoryMb).message}; the reader stopped (${how})`),
            );
          } else {
            const at = resident === null ? '' : ` at ${Math.round(resident)} MiB`;
            reject(new Error(`the PDF reader stopped (${how})${at}; the document is tried again`));
          }
        };
        const onError = (error: Error) => {
          done();
          this.#retire();
          reject(error);
        };
        child.on('message', onMessage).once('exit', onExit).once('error', onError);
        child.send({ bytes, maxChars, memoryMb: limits.memoryMb } satisfies Request);
      });
    } finally {
      child.channel?.unref();
    }
  }
}

const pdfProcess = new PdfProcess();

/** extractPdf in the child process, under `limits`. */
export function extractPdfIsolated(
  bytes: Uint8Array,
  maxChars: number,
  limits: PdfIsolation = DEFAULT_PDF_ISOLATION,
): Promise<ExtractedText> {
  return pdfProcess.extract(bytes, maxChars, limits);
}
