/** What every command receives from the router: the process, the shared secret registry, a printer. */
import type { Logger } from '@cancelkit/core/plugin';
import { createLogger, jsonLineSink, SecretRegistry, silentLogger } from '@cancelkit/core/plugin';
import type { CliIo } from './io.js';
import { Printer } from './output.js';
import { colorEnabled, createStyle } from './style.js';

export interface CommandContext {
  /** The command name as typed (`cancel`, `plan`, …). */
  readonly command: string;
  /** Arguments after the command name. */
  readonly args: readonly string[];
  readonly io: CliIo;
  readonly secrets: SecretRegistry;
  /** Printer for stdout (its style follows stdout's TTY-ness and NO_COLOR). */
  readonly printer: Printer;
  /** Style for stderr diagnostics. */
  readonly errPrinter: Printer;
  readonly debug: boolean;
  readonly quiet: boolean;
  readonly logger: Logger;
}

/** Booleans that shape output before the command's own parse (pre-scanned; they take no value). */
export function prescan(args: readonly string[]): { debug: boolean; quiet: boolean; color: boolean | undefined } {
  const before = args.indexOf('--');
  const flags = before < 0 ? args : args.slice(0, before);
  return {
    debug: flags.includes('--debug'),
    quiet: flags.includes('--quiet') || flags.includes('-q'),
    color: flags.includes('--no-color') ? false : flags.includes('--color') ? true : undefined,
  };
}

export function createContext(command: string, args: readonly string[], io: CliIo, secrets = new SecretRegistry()): CommandContext {
  const { debug, quiet, color } = prescan(args);
  const printer = new Printer(io, secrets, createStyle(colorEnabled(io.stdout, io.env, color)), quiet);
  const errPrinter = new Printer(io, secrets, createStyle(colorEnabled(io.stderr, io.env, color)), quiet);
  const logger = debug ? createLogger({ sink: jsonLineSink((line) => errPrinter.err(line)), level: 'debug', secrets }) : silentLogger;
  return { command, args, io, secrets, printer, errPrinter, debug, quiet, logger };
}
