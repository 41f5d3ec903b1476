/**
 * `plugins list | info <id>`: reads package.json files and manifest modules only — never a plugin's
 * implementation (that is what keeps this command fast, and is tested).
 */
import type { DiscoveredPlugin } from '@cancelkit/core';
import { booleanValue, parseStrict, stringValue, suggest, usageError } from '../args.js';
import type { CommandInfo } from '../commands.js';
import { loadConfigFile } from '../config.js';
import { EXIT } from '../exit-codes.js';
import { commandHelp, pluginHelp } from '../help.js';
import { OUTPUT_FORMATS, resolveFormat } from '../output.js';
import { paramFlags, paramsToArgs, shellQuote } from '../params.js';
import { openRegistry } from '../registry.js';
import type { CommandContext } from '../runtime.js';
import { renderTable } from '../style.js';
import { findCommand } from '../commands.js';

export interface PluginSummary {
  id: string;
  title: string;
  description?: string;
  provider: string;
  service: string;
  operation: string;
  package: string;
  version: string;
  docsUrl: string;
  capabilities: { inspect: boolean; batch: boolean; wait: boolean };
  coreRange: string;
  params: { name: string; flag: string; type: string; required: boolean; target: boolean; description?: string }[];
  examples: string[];
}

export function summarizePlugin(entry: DiscoveredPlugin): PluginSummary {
  const m = entry.manifest;
  return {
    id: m.id,
    title: m.title,
    ...(m.description !== undefined ? { description: m.description } : {}),
    provider: m.provider,
    service: m.service,
    operation: m.operation,
    package: entry.packageName,
    version: entry.packageVersion,
    docsUrl: m.docsUrl,
    capabilities: { ...m.capabilities },
    coreRange: m.coreRange,
    params: paramFlags(m).map((f) => ({
      name: f.name,
      flag: `--${f.flag}`,
      type: f.kind === 'array' ? `${f.itemKind}[]` : f.kind,
      required: f.required,
      target: f.isTarget,
      ...(f.description !== undefined ? { description: f.description } : {}),
    })),
    examples: (m.examples ?? []).map((ex) => `cancelkit cancel ${m.id} ${paramsToArgs(ex).map(shellQuote).join(' ')}`),
  };
}

export async function run(ctx: CommandContext, info: CommandInfo): Promise<number> {
  const { values, positionals } = parseStrict(ctx.args, info.options, { commandLine: 'cancelkit plugins', helpCommand: 'cancelkit plugins --help' });
  const [sub, id, ...extra] = positionals;
  if (booleanValue(values, 'help') || sub === undefined) {
    if (sub === undefined && !booleanValue(values, 'help')) throw usageError('Missing the subcommand: `cancelkit plugins list` or `cancelkit plugins info <plugin-id>`.');
    ctx.printer.out(commandHelp(info));
    return EXIT.ok;
  }
  if (sub !== 'list' && sub !== 'info') {
    throw usageError(`Unknown subcommand "plugins ${sub}".`, 'Use `cancelkit plugins list` or `cancelkit plugins info <plugin-id>`.');
  }
  if (sub === 'list' && id !== undefined) throw usageError(`Unexpected argument "${id}" for \`cancelkit plugins list\`.`, 'Use `cancelkit plugins info <plugin-id>` for one plugin.');
  if (sub === 'info' && id === undefined) throw usageError('Missing the plugin id: `cancelkit plugins info <plugin-id>`.', 'See `cancelkit plugins list`.');
  if (extra.length > 0) throw usageError(`Unexpected argument "${extra[0]}".`);
  const requested = stringValue(values, 'output');
  if (requested !== undefined && !(OUTPUT_FORMATS as readonly string[]).includes(requested)) {
    throw usageError(`--output "${requested}" is not a format.`, `Use --output ${OUTPUT_FORMATS.join('|')}.`);
  }
  const format = resolveFormat(requested, ctx.io.stdout, ctx.quiet);
  const loaded = loadConfigFile(stringValue(values, 'config'), ctx.io.cwd);
  const registry = await openRegistry(loaded, ctx.io.cwd);
  const problems = registry.problems().map((p) => ({ package: p.packageName, version: p.packageVersion, problem: p.problem ?? '' }));

  if (sub === 'info') {
    const entry = registry.get(id as string);
    if (!entry) {
      const ids = registry.list().map((e) => e.manifest.id);
      const close = suggest(id as string, ids);
      throw usageError(`Unknown plugin "${id}".`, close ? `Did you mean ${close}?` : ids.length > 0 ? `Installed plugins: ${ids.sort().join(', ')}.` : 'No plugins are installed.');
    }
    if (format === 'table') {
      if (entry.problem !== undefined) ctx.errPrinter.err(`warning: ${entry.problem}\n`);
      const cancel = findCommand('cancel') as CommandInfo;
      if (!ctx.quiet) ctx.printer.out(pluginHelp(cancel, entry, paramFlags(entry.manifest), []));
    } else {
      const doc = { ...summarizePlugin(entry), ...(entry.problem !== undefined ? { problem: entry.problem } : {}), paramsSchema: entry.manifest.paramsSchema };
      ctx.printer.out(format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : `${JSON.stringify(doc)}\n`);
    }
    return entry.problem === undefined ? EXIT.ok : EXIT.usage;
  }

  const plugins = registry
    .list()
    .map(summarizePlugin)
    .sort((a, b) => a.id.localeCompare(b.id));
  if (format === 'json') ctx.printer.out(`${JSON.stringify({ plugins, problems }, null, 2)}\n`);
  else if (format === 'ndjson') {
    for (const p of plugins) ctx.printer.out(`${JSON.stringify(p)}\n`);
    for (const p of problems) ctx.printer.out(`${JSON.stringify({ problem: p })}\n`);
  } else if (!ctx.quiet) {
    const style = ctx.printer.style;
    if (plugins.length === 0) ctx.printer.out('No plugins installed. npm install a cancelkit plugin package, or list one under "plugins" in cancelkit.config.json.\n');
    else {
      const rows = plugins.map((p) => [
        p.id,
        p.title,
        p.params.map((f) => (f.required ? f.flag : `[${f.flag}]`)).join(' '),
        ['cancel', p.capabilities.inspect ? 'inspect' : '', p.capabilities.wait ? 'wait' : ''].filter(Boolean).join(','),
        `${p.package}@${p.version}`,
      ]);
      ctx.printer.out(renderTable(['PLUGIN', 'TITLE', 'PARAMS', 'CAN', 'PACKAGE'], rows, style));
      ctx.printer.info(style.dim('Run `cancelkit plugins info <plugin-id>` for descriptions, docs links and examples.\n'));
    }
    for (const p of problems) ctx.errPrinter.err(`${ctx.errPrinter.style.yellow('warning:')} ${p.package}@${p.version} cannot be used: ${p.problem}\n`);
  }
  return EXIT.ok;
}
