/**
 * The router: finds the command and imports only the module that implements it, so `--help`,
 * `--version` and `plugins list` never pay for the engine, got, inversify or any plugin.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { isCancelKitError, SecretRegistry } from '@cancelkit/core/plugin';
import { suggest, usageError } from './args.js';
import { COMMANDS, type CommandInfo, findCommand } from './commands.js';
import { EXIT } from './exit-codes.js';
import { commandHelp, globalHelp } from './help.js';
import type { CliIo } from './io.js';
import { formatError } from './output.js';
import { CLI_DIR } from './registry.js';
import { type CommandContext, createContext } from './runtime.js';

export function cliVersion(): string {
  return (JSON.parse(readFileSync(path.join(CLI_DIR, 'package.json'), 'utf8')) as { version: string }).version;
}

function coreVersion(): string {
  try {
    const file = createRequire(import.meta.url).resolve('@cancelkit/core/package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

type CommandModule = { run(ctx: CommandContext, info: CommandInfo): Promise<number> };

async function importCommand(info: CommandInfo): Promise<CommandModule> {
  switch (info.module) {
    case 'target':
      return import('./commands/target.js');
    case 'plugins':
      return import('./commands/plugins.js');
    case 'emulator':
      return import('./commands/emulator.js');
    case 'demo':
      return import('./commands/demo.js');
    case 'completion':
      return import('./commands/completion.js');
  }
}

/** Runs the CLI; resolves with the exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const secrets = new SecretRegistry();
  const [first, ...rest] = argv;
  let ctx = createContext(first ?? '', rest, io, secrets);
  try {
    if (first === undefined) {
      io.stdout.write(globalHelp(cliVersion()));
      return EXIT.ok;
    }
    if (first === '--version' || first === '-V' || first === 'version') {
      io.stdout.write(`cancelkit ${cliVersion()} (@cancelkit/core ${coreVersion()}, node ${process.version})\n`);
      return EXIT.ok;
    }
    if (first === '--help' || first === '-h' || first === 'help') {
      const topic = first === 'help' ? rest[0] : undefined;
      const info = topic === undefined ? undefined : findCommand(topic);
      if (topic !== undefined && !info) throw unknownCommand(topic);
      io.stdout.write(info ? commandHelp(info) : globalHelp(cliVersion()));
      return EXIT.ok;
    }
    const info = findCommand(first);
    if (!info) throw first.startsWith('-') ? flagBeforeCommand(first) : unknownCommand(first);
    ctx = createContext(first, rest, io, secrets);
    const mod = await importCommand(info);
    const code = await mod.run(ctx, info);
    // Whatever the targets' outcomes, the caller did not get the whole output (see io.ts).
    return io.stdoutClosed?.() ? EXIT.outputClosed : code;
  } catch (error) {
    return reportError(ctx, error);
  }
}

export function reportError(ctx: CommandContext, error: unknown): number {
  const printable = error instanceof Error ? error : new Error(String(error));
  ctx.errPrinter.err(formatError(printable, { debug: ctx.debug, style: ctx.errPrinter.style }));
  return isCancelKitError(error) ? error.exitCode : EXIT.internal;
}

function unknownCommand(name: string) {
  const close = suggest(
    name,
    COMMANDS.filter((c) => !c.hidden).map((c) => c.name),
  );
  return usageError(`Unknown command "${name}".`, close ? `Did you mean \`cancelkit ${close}\`? See \`cancelkit --help\`.` : 'See `cancelkit --help` for the commands.');
}

function flagBeforeCommand(flag: string) {
  return usageError(`${flag} must come after the command.`, `Write \`cancelkit <command> ${flag} …\`, e.g. \`cancelkit cancel ${flag} …\`.`);
}
