import { type ParseArgsConfig, parseArgs } from 'node:util';
import { loadConfig, type Config } from '../shared/wiring/config.js';
import { configureModelHub } from '../shared/adapters/transformers/hub.js';

/**
 * Configuration for a CLI: the environment (validated as in the Lambdas) with flag overrides applied as
 * if they were environment variables, so both paths share one validation.
 */
export function cliConfig(overrides: Record<string, string | undefined> = {}): Config {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const config = loadConfig({ ...process.env, ...defined });
  configureModelHub(config.models);
  return config;
}

/** Runs a CLI's main, printing only the message of an error (no stack) and exiting non-zero. */
function runCli(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}

/**
 * A CLI command: its flags parsed by node's parseArgs (an unknown flag or a missing value is an error naming it),
 * then `main` run as runCli runs it. Every CLI starts here.
 */
export function runCommand<T extends ParseArgsConfig>(
  flags: T,
  main: (args: ReturnType<typeof parseArgs<T>>) => Promise<void>,
): void {
  runCli(async () => main(parseArgs(flags)));
}
