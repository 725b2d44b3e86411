import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';

/** What a running `npm start` records, so that the next one can tell it is running or clean up after it. */
export interface StackState {
  supervisorPid: number;
  /** Process group id of each part. */
  parts: Record<string, number>;
  startedAt: string;
}

/** Markers in the command line of the stack's own processes: a recycled pid of another program is left alone. */
const OUR_PROCESSES =
  /cli\/start\.ts|local\/s3Part\.ts|local\/scoringInstance\.ts|cli\/endpoint\.ts|serverless\.js offline|exitWithParent/;

function commandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const ours = (pid: number) => alive(pid) && OUR_PROCESSES.test(commandLine(pid) ?? '');

export class StackAlreadyRunningError extends Error {
  override name = 'StackAlreadyRunningError';
}

export function readState(file: string): StackState | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StackState;
  } catch {
    return null; // a torn write of a crashed run: nothing to trust in it
  }
}

export function writeState(file: string, state: StackState): void {
  writeFileSync(file, JSON.stringify(state, null, 2));
}

export function removeState(file: string): void {
  rmSync(file, { force: true });
}

/**
 * Refuses to start over a live stack; stops the parts a dead one left behind (a supervisor killed with
 * SIGKILL cannot stop them itself). Returns what was cleaned up, for the log.
 */
export function cleanUpPreviousRun(file: string): string[] {
  const state = readState(file);
  if (!state) return [];
  if (state.supervisorPid !== process.pid && ours(state.supervisorPid)) {
    throw new StackAlreadyRunningError(
      `a local stack is already running (pid ${state.supervisorPid}, started ${state.startedAt}); ` +
        `stop it with Ctrl-C in its terminal or \`kill ${state.supervisorPid}\``,
    );
  }
  const cleaned: string[] = [];
  for (const [name, pgid] of Object.entries(state.parts)) {
    if (!ours(pgid)) continue;
    try {
      process.kill(-pgid, 'SIGKILL');
      cleaned.push(`${name} (pid ${pgid})`);
    } catch {
      // gone meanwhile
    }
  }
  removeState(file);
  return cleaned;
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * Waits until every port is free (a just-stopped process may hold one for a moment), then fails with a message
 * naming the port and the variable that moves it.
 */
export async function ensurePortsFree(
  ports: { port: number; variable: string }[],
  host = '127.0.0.1',
  waitMs = 5000,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (const { port, variable } of ports) {
    while (!(await canListen(port, host))) {
      if (Date.now() > deadline) {
        throw new Error(
          `port ${port} (${variable}) is in use by another program; stop it or set ${variable} to a free port`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** A port that was free a moment ago, for the parts behind the front doors. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
