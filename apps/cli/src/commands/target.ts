/**
 * `cancel`, `plan` and `inspect` for one plugin (params as flags), and `cancel --from` for batches.
 * Nothing is sent until every flag and param has been validated.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { PluginRegistry } from '@cancelkit/core';
import type { Kit } from '@cancelkit/core/kit';
import type { InputIssue, OperationState } from '@cancelkit/core/plugin';
import { CancelKitError, isCancelKitError } from '@cancelkit/core/plugin';
import {
  booleanValue,
  firstPositional,
  type OptionSpec,
  type ParsedArgs,
  parseDuration,
  parsePositiveInteger,
  parsePositiveNumber,
  parseStrict,
  stringValue,
  suggest,
  usageError,
} from '../args.js';
import { boundBatchMemory, executeBatch, executePlanBatch, prepareBatch } from '../batch.js';
import { parseBatch } from '../batch-input.js';
import type { CommandInfo } from '../commands.js';
import { type LoadedConfig, loadConfigFile, registerConfigSecrets } from '../config.js';
import { buildKitConfig, type FlagOverrides } from '../kit-config.js';
import { EXIT, exitCodeForRecords } from '../exit-codes.js';
import { commandHelp, pluginHelp } from '../help.js';
import { signalExitCode, type SignalName, stopExitCode } from '../io.js';
import { Journal } from '../journal.js';
import { createKit } from '../kit.js';
import { createPlanSink, createResultSink, OUTPUT_FORMATS, type OutputFormat, type Printer, resolveFormat } from '../output.js';
import { coerceParams, flagOfField, messageWithFlags, missingRequired, type ParamFlag, paramFlags } from '../params.js';
import { summarize, toPlanRecord, toRecord } from '../records.js';
import { openRegistry } from '../registry.js';
import type { CommandContext } from '../runtime.js';
import { renderTable, type Style } from '../style.js';

function lenientValues(args: readonly string[], options: Readonly<Record<string, OptionSpec>>): ParsedArgs['values'] {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(options)) config[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}) };
  return parseArgs({ args: [...args], options: config, strict: false, allowPositionals: true, allowNegative: true }).values as ParsedArgs['values'];
}

function outputFormat(values: ParsedArgs['values'], ctx: CommandContext): OutputFormat {
  const requested = stringValue(values, 'output');
  if (requested !== undefined && !(OUTPUT_FORMATS as readonly string[]).includes(requested)) {
    throw usageError(`--output "${requested}" is not a format.`, `Use --output ${OUTPUT_FORMATS.join('|')}.`);
  }
  return resolveFormat(requested, ctx.io.stdout, ctx.quiet);
}

function flagOverrides(values: ParsedArgs['values'], endpointKey: string): FlagOverrides {
  const overrides: FlagOverrides = { endpointKey };
  const profile = stringValue(values, 'profile');
  if (profile !== undefined) overrides.profile = profile;
  const endpoint = stringValue(values, 'endpoint');
  if (endpoint !== undefined) overrides.endpoint = endpoint;
  if (booleanValue(values, 'allow-insecure-http')) overrides.allowInsecureHttp = true;
  const concurrency = stringValue(values, 'concurrency');
  if (concurrency !== undefined) overrides.concurrency = parsePositiveInteger(concurrency, '--concurrency');
  const qps = stringValue(values, 'qps');
  if (qps !== undefined) overrides.qps = parsePositiveNumber(qps, '--qps');
  return overrides;
}

interface WaitFlags {
  precheck?: boolean;
  wait: boolean;
  waitTimeoutMs?: number;
}

function waitFlags(values: ParsedArgs['values']): WaitFlags {
  const wait = booleanValue(values, 'wait') ?? false;
  const timeout = stringValue(values, 'timeout');
  if (timeout !== undefined && !wait) throw usageError('--timeout only applies with --wait.', 'Add --wait, or drop --timeout.');
  const flags: WaitFlags = { wait };
  const precheck = booleanValue(values, 'precheck');
  if (precheck !== undefined) flags.precheck = precheck;
  if (timeout !== undefined) flags.waitTimeoutMs = parseDuration(timeout);
  return flags;
}

function paramsFromJson(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw usageError('--params is not valid JSON.', `Pass --params '{"name": "value"}'.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw usageError('--params must be a JSON object.', `Pass --params '{"name": "value"}'.`);
  return value as Record<string, unknown>;
}

function invalidParams(pluginId: string, command: string, issues: readonly InputIssue[], flags: readonly ParamFlag[]): CancelKitError {
  const described = issues.map((i) => `${flagOfField(i.field, flags)} ${i.message}${i.hint ? ` (${i.hint})` : ''}`);
  const fixed = issues.map((i) => ({ ...i, field: flagOfField(i.field, flags) }));
  return new CancelKitError('InvalidInput', `Invalid params for ${pluginId}: ${described.join('; ')}.`, {
    issues: fixed,
    hint: `See \`cancelkit ${command} ${pluginId} --help\` for its flags.`,
  });
}

/** A plugin's InvalidInput raised while running (not while parsing), with the flags the user typed. */
function withFlagNames(error: unknown, flags: readonly ParamFlag[]): unknown {
  if (!isCancelKitError(error) || error.code !== 'InvalidInput' || error.issues.length === 0) return error;
  return new CancelKitError('InvalidInput', messageWithFlags(error.message, error.issues, flags), {
    issues: error.issues.map((i) => ({ ...i, field: flagOfField(i.field, flags) })),
    ...(error.hint !== undefined ? { hint: error.hint } : {}),
    ...(error.providerCode !== undefined ? { providerCode: error.providerCode } : {}),
    ...(error.requestId !== undefined ? { requestId: error.requestId } : {}),
    cause: error,
  });
}

function unknownPlugin(id: string, registry: PluginRegistry, command: string): CancelKitError {
  const ids = registry
    .list()
    .map((e) => e.manifest.id)
    .sort();
  const close = suggest(id, ids);
  const hint = close
    ? `Did you mean ${close}? Run \`cancelkit ${command} ${close} --help\`.`
    : ids.length > 0
      ? `Installed plugins: ${ids.join(', ')}.`
      : 'No plugins are installed: npm install a cancelkit plugin package, or list one under "plugins" in cancelkit.config.json.';
  return usageError(`Unknown plugin "${id}".`, hint);
}

export async function run(ctx: CommandContext, info: CommandInfo): Promise<number> {
  const lenient = lenientValues(ctx.args, info.options);
  const positional = firstPositional(ctx.args, info.options);
  const from = stringValue(lenient, 'from');
  if (positional === undefined) {
    if (lenient.help === true) {
      ctx.printer.out(commandHelp(info));
      return EXIT.ok;
    }
    if (from !== undefined) return runBatch(ctx, info);
    if (info.name === 'inspect' && lenient.from !== undefined) {
      throw usageError('inspect reads one plugin’s params, not a batch file.', 'Use `cancelkit plan --from FILE` to see the state of every target in a batch (it sends no cancel).');
    }
    throw usageError(
      `Missing the plugin id: \`cancelkit ${info.name} <plugin-id> [--<param> value…]\`.`,
      `Run \`cancelkit plugins list\` for the installed plugins${info.name === 'inspect' ? '' : ', or pass a batch with --from FILE'}.`,
    );
  }
  if (from !== undefined) throw usageError(`--from reads the plugin ids from the file; do not also name a plugin ("${positional.value}").`, 'Drop either the plugin id or --from.');
  const loaded = loadConfigFile(stringValue(lenient, 'config'), ctx.io.cwd);
  registerConfigSecrets(loaded.content, ctx.secrets);
  const registry = await openRegistry(loaded, ctx.io.cwd);
  const id = positional.value;
  const entry = registry.get(id);
  if (!entry) throw unknownPlugin(id, registry, info.name);
  if (entry.problem !== undefined) {
    throw new CancelKitError('InvalidInput', `Plugin ${id} cannot be used: ${entry.problem}`, { hint: `Installed from ${entry.packageName}@${entry.packageVersion}.` });
  }

  const flags = paramFlags(entry.manifest);
  const reserved = new Set([...Object.keys(info.options), 'version']);
  const hidden = flags.filter((f) => reserved.has(f.flag)).map((f) => f.flag);
  const usable = flags.filter((f) => !reserved.has(f.flag));
  const pluginOptions: Record<string, OptionSpec> = {};
  for (const f of usable) {
    pluginOptions[f.flag] = {
      type: f.kind === 'boolean' ? 'boolean' : 'string',
      ...(f.kind === 'array' ? { multiple: true } : {}),
      description: f.description ?? f.name,
    };
  }
  if (lenient.help === true) {
    ctx.printer.out(pluginHelp(info, entry, flags, hidden));
    return EXIT.ok;
  }

  const commandLine = `cancelkit ${info.name} ${id}`;
  const { values, positionals } = parseStrict(ctx.args, { ...info.options, ...pluginOptions }, { commandLine, helpCommand: `${commandLine} --help` });
  const extra = positionals.filter((p, i) => !(p === id && i === 0));
  if (extra.length > 0) {
    throw usageError(`Unexpected argument "${extra[0]}" for \`${commandLine}\`.`, `Params are flags: see \`${commandLine} --help\`. Quote values that contain spaces.`);
  }

  const raw: Record<string, string | boolean | (string | boolean)[] | undefined> = {};
  for (const f of usable) raw[f.name] = values[f.flag];
  const { params: fromFlags, issues } = coerceParams(usable, raw);
  if (issues.length > 0) throw invalidParams(id, info.name, issues, flags);
  const params = { ...paramsFromJson(stringValue(values, 'params')), ...fromFlags };
  const missing = missingRequired(flags, params);
  if (missing.length > 0) throw invalidParams(id, info.name, missing, flags);

  if (stringValue(values, 'journal') !== undefined) {
    throw usageError('--journal applies to batches (cancel --from FILE).', `Drop --journal, or list the target in a batch file.`);
  }
  const format = outputFormat(values, ctx);
  const wait = info.name === 'cancel' ? waitFlags(values) : { wait: false };
  if (wait.wait && !entry.manifest.capabilities.wait) {
    throw usageError(`${id} cannot wait for a terminal state (its plugin has no wait capability).`, 'Drop --wait and check later with `cancelkit inspect`.');
  }
  if (info.name !== 'cancel' && !entry.manifest.capabilities.inspect) {
    throw usageError(`${id} cannot inspect operations, so \`${info.name}\` is not available for it.`, `Run \`cancelkit cancel ${id} …\` instead.`);
  }
  const config = buildKitConfig(loaded, flagOverrides(values, id), ctx.io.env);
  const plugin = await entry.load();
  const kit = await createKit(ctx, [plugin], config);
  try {
    try {
      kit.parse(id, params);
    } catch (error) {
      if (isCancelKitError(error) && error.code === 'InvalidInput') {
        throw error.issues.length > 0 ? invalidParams(id, info.name, error.issues, flags) : new CancelKitError('InvalidInput', error.message, { hint: `See \`${commandLine} --help\`.` });
      }
      throw error;
    }
    try {
      if (info.name === 'plan') return await runPlan(ctx, kit, id, params, format);
      if (info.name === 'inspect') return await runInspect(ctx, kit, id, params, format);
      return await runCancel(ctx, kit, id, params, format, wait, flags);
    } catch (error) {
      throw withFlagNames(error, flags);
    }
  } finally {
    await kit.close();
  }
}

/** Aborts the in-flight call on the first signal (a single target has nothing else to stop). */
function interruptible(ctx: CommandContext): { signal: AbortSignal; interrupted: () => SignalName | undefined; dispose: () => void } {
  const controller = new AbortController();
  let received: SignalName | undefined;
  const dispose = ctx.io.onSignal((signal) => {
    received ??= signal;
    controller.abort();
  });
  return { signal: controller.signal, interrupted: () => received, dispose };
}

/**
 * A read (plan, inspect) stopped by Ctrl-C / SIGTERM: the aborted request is no failure of the cloud, so
 * it exits with the signal's status (130 / 143), not the abort error's class (8, transient).
 */
function interruptedRead(ctx: CommandContext, signal: SignalName): number {
  ctx.errPrinter.err(`Interrupted (${signal}): stopped before the cloud answered; nothing was changed.\n`);
  return signalExitCode(signal);
}

async function runCancel(ctx: CommandContext, kit: Kit, id: string, params: unknown, format: OutputFormat, wait: WaitFlags, flags: readonly ParamFlag[]): Promise<number> {
  const guard = interruptible(ctx);
  try {
    const results = await kit.cancel(id, params, {
      ...(wait.precheck !== undefined ? { precheck: wait.precheck } : {}),
      ...(wait.wait ? { wait: true } : {}),
      ...(wait.waitTimeoutMs !== undefined ? { waitTimeoutMs: wait.waitTimeoutMs } : {}),
      signal: guard.signal,
    });
    const records = results.map((r) => toRecord(r, undefined, flags));
    const sink = createResultSink(format, ctx.printer);
    for (const record of records) sink.write(record);
    sink.end(summarize(records));
    if (format === 'table') {
      // The table has no room for hints; a person at a terminal still gets the fix.
      for (const hint of new Set(records.flatMap((r) => (r.error?.hint ? [r.error.hint] : [])))) ctx.errPrinter.info(`${ctx.errPrinter.style.dim('hint:')} ${hint}\n`);
    }
    const signal = guard.interrupted();
    return signal ? signalExitCode(signal) : exitCodeForRecords(records);
  } finally {
    guard.dispose();
  }
}

function writeStructured<T>(ctx: CommandContext, format: OutputFormat, records: readonly T[], summary: unknown, table: (style: Style) => string): void {
  const printer: Printer = ctx.printer;
  if (format === 'ndjson') {
    for (const r of records) printer.out(`${JSON.stringify(r)}\n`);
    printer.out(`${JSON.stringify({ summary })}\n`);
  } else if (format === 'json') printer.out(`${JSON.stringify({ results: records, summary }, null, 2)}\n`);
  else if (!printer.quiet) printer.out(table(printer.style));
}

async function runPlan(ctx: CommandContext, kit: Kit, id: string, params: unknown, format: OutputFormat): Promise<number> {
  const guard = interruptible(ctx);
  try {
    const records = (await kit.plan(id, params, { signal: guard.signal })).map((entry) => toPlanRecord(entry));
    const sink = createPlanSink(format, ctx.printer);
    for (const record of records) sink.write(record);
    sink.end(summarize(records.map((r) => ({ outcome: r.expected }))));
    return EXIT.ok;
  } catch (error) {
    const signal = guard.interrupted();
    if (signal === undefined) throw error;
    return interruptedRead(ctx, signal);
  } finally {
    guard.dispose();
  }
}

export interface InspectRecord {
  plugin: string;
  target: string;
  found: boolean;
  status?: string;
  terminal: boolean;
  cancelled: boolean;
  cancellable: boolean;
  reason?: string;
  requestId: string | null;
  details?: Readonly<Record<string, unknown>>;
}

export function toInspectRecord(plugin: string, state: OperationState): InspectRecord {
  return {
    plugin,
    target: state.target,
    found: state.found,
    ...(state.status !== undefined ? { status: state.status } : {}),
    terminal: state.terminal,
    cancelled: state.cancelled,
    cancellable: state.cancellable,
    ...(state.reason !== undefined ? { reason: state.reason } : {}),
    requestId: state.requestId ?? null,
    ...(state.details !== undefined ? { details: state.details } : {}),
  };
}

async function runInspect(ctx: CommandContext, kit: Kit, id: string, params: unknown, format: OutputFormat): Promise<number> {
  const guard = interruptible(ctx);
  try {
    const states = await kit.inspect(id, params, { signal: guard.signal });
    const plugin = kit.plugin(id);
    const targets = plugin.targets(plugin.parse(params));
    // One record per requested target, even when the cloud's answer left one out.
    const records = targets.map((target) =>
      toInspectRecord(id, states.find((s) => s.target === target) ?? { target, found: false, terminal: false, cancelled: false, cancellable: false }),
    );
    const summary = {
      total: records.length,
      found: records.filter((r) => r.found).length,
      notFound: records.filter((r) => !r.found).length,
      cancellable: records.filter((r) => r.cancellable).length,
      terminal: records.filter((r) => r.terminal).length,
    };
    writeStructured(ctx, format, records, summary, (style) => {
      const yes = (b: boolean) => (b ? 'yes' : 'no');
      const rows = records.map((r) => [
        r.plugin,
        r.target,
        r.found ? (r.status ?? '?') : style.magenta('not found'),
        r.found ? yes(r.terminal) : '-',
        r.found ? (r.cancellable ? style.green('yes') : style.yellow('no')) : '-',
        r.requestId ?? '-',
        r.reason ?? '',
      ]);
      return renderTable(['PLUGIN', 'TARGET', 'STATUS', 'TERMINAL', 'CANCELLABLE', 'REQUEST ID', 'REASON'], rows, style);
    });
    return exitCodeForRecords(records.map((r) => (r.found ? { outcome: 'cancelled' } : { outcome: 'not-found' })));
  } catch (error) {
    const signal = guard.interrupted();
    if (signal === undefined) throw error;
    return interruptedRead(ctx, signal);
  } finally {
    guard.dispose();
  }
}

async function readInput(ctx: CommandContext, from: string): Promise<{ text: string; name?: string }> {
  if (from === '-') {
    if ((ctx.io.stdin as { isTTY?: boolean }).isTTY) ctx.errPrinter.info('Reading the batch from the terminal; end it with Ctrl-D.\n');
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return { text: Buffer.concat(chunks).toString('utf8') };
  }
  const file = path.resolve(ctx.io.cwd, from);
  try {
    return { text: await readFile(file, 'utf8'), name: file };
  } catch (error) {
    throw usageError(`Cannot read --from ${from}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, 'Check the path, or pass - to read stdin.');
  }
}

async function runBatch(ctx: CommandContext, info: CommandInfo): Promise<number> {
  const commandLine = `cancelkit ${info.name} --from`;
  const { values, positionals } = parseStrict(ctx.args, info.options, { commandLine, helpCommand: `cancelkit ${info.name} --help` });
  if (positionals.length > 0) throw usageError(`Unexpected argument "${positionals[0]}" with --from.`, 'Name plugins inside the batch file, not on the command line.');
  if (stringValue(values, 'params') !== undefined) throw usageError('--params applies to a single target, not to --from.', 'Put params in the batch file.');
  const format = outputFormat(values, ctx);
  if (info.name === 'plan') return runPlanBatch(ctx, values, format);
  const wait = waitFlags(values);
  const loaded: LoadedConfig = loadConfigFile(stringValue(values, 'config'), ctx.io.cwd);
  registerConfigSecrets(loaded.content, ctx.secrets);
  const config = buildKitConfig(loaded, flagOverrides(values, '*'), ctx.io.env);
  const input = await readInput(ctx, stringValue(values, 'from') as string);
  const journalFile = stringValue(values, 'journal');
  const journal = journalFile === undefined ? undefined : Journal.open(path.resolve(ctx.io.cwd, journalFile), (text) => ctx.secrets.redactString(text));
  try {
    const registry = await openRegistry(loaded, ctx.io.cwd);
    const batch = await prepareBatch(parseBatch(input.text, input.name), registry);
    if (wait.wait) {
      const cannot = batch.plugins.filter((p) => !p.manifest.capabilities.wait).map((p) => p.manifest.id);
      if (cannot.length > 0) throw usageError(`--wait is not supported by ${cannot.join(', ')}.`, 'Drop --wait, or split those targets into another batch.');
    }
    const kit = await createKit(ctx, batch.plugins, config);
    try {
      const outcome = await executeBatch({
        kit,
        batch,
        sink: createResultSink(format, ctx.printer),
        format,
        errPrinter: ctx.errPrinter,
        io: ctx.io,
        afterRecord: boundBatchMemory(),
        ...(journal ? { journal } : {}),
        ...(config.concurrency !== undefined ? { concurrency: config.concurrency } : {}),
        ...(wait.precheck !== undefined ? { precheck: wait.precheck } : {}),
        wait: wait.wait,
        ...(wait.waitTimeoutMs !== undefined ? { waitTimeoutMs: wait.waitTimeoutMs } : {}),
      });
      return outcome.interrupted ? stopExitCode(outcome.interrupted) : outcome.exitCode;
    } finally {
      await kit.close();
    }
  } finally {
    journal?.close();
  }
}

/** `plan --from`: the batch's dry run, one plan record per target; nothing is cancelled. */
async function runPlanBatch(ctx: CommandContext, values: ParsedArgs['values'], format: OutputFormat): Promise<number> {
  const loaded: LoadedConfig = loadConfigFile(stringValue(values, 'config'), ctx.io.cwd);
  registerConfigSecrets(loaded.content, ctx.secrets);
  const config = buildKitConfig(loaded, flagOverrides(values, '*'), ctx.io.env);
  const input = await readInput(ctx, stringValue(values, 'from') as string);
  const registry = await openRegistry(loaded, ctx.io.cwd);
  const batch = await prepareBatch(parseBatch(input.text, input.name), registry);
  const kit = await createKit(ctx, batch.plugins, config);
  try {
    const outcome = await executePlanBatch({
      kit,
      batch,
      sink: createPlanSink(format, ctx.printer),
      format,
      errPrinter: ctx.errPrinter,
      io: ctx.io,
      afterRecord: boundBatchMemory(),
      ...(config.concurrency !== undefined ? { concurrency: config.concurrency } : {}),
    });
    return outcome.interrupted ? stopExitCode(outcome.interrupted) : outcome.exitCode;
  } finally {
    await kit.close();
  }
}

