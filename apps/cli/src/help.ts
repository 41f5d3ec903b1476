/** `--help` texts: global, per command, and per plugin (from its manifest only). */
import type { OptionSpec, OptionSpecs } from './args.js';
import { COMMANDS, type CommandInfo } from './commands.js';
import { EXIT_CODE_TABLE } from './exit-codes.js';
import { type ParamFlag, paramsToArgs, shellQuote } from './params.js';
import type { DiscoveredPlugin } from '@cancelkit/core';

function optionLine(name: string, spec: OptionSpec): [string, string] {
  const flag = spec.negated ? `--no-${name}` : `--${name}`;
  const short = spec.short ? `-${spec.short}, ` : '    ';
  const value = spec.type === 'string' ? ` <${spec.valueName ?? 'value'}>` : '';
  return [`${short}${flag}${value}`, spec.description];
}

function columns(rows: readonly (readonly [string, string])[], indent = '  '): string {
  const width = Math.min(38, Math.max(...rows.map(([left]) => left.length)));
  return rows
    .map(([left, right]) => (left.length > width ? `${indent}${left}\n${indent}${' '.repeat(width + 2)}${right}` : `${indent}${left.padEnd(width)}  ${right}`))
    .join('\n');
}

export function optionsHelp(options: OptionSpecs): string {
  return columns(Object.entries(options).map(([name, spec]) => optionLine(name, spec)));
}

export function exitCodesHelp(): string {
  return columns(EXIT_CODE_TABLE.map(([code, text]) => [String(code), text]));
}

export function globalHelp(version: string): string {
  const visible = COMMANDS.filter((c) => !c.hidden);
  return `cancelkit ${version} — cancel in-flight cloud operations through one contract

Usage:
  cancelkit <command> [arguments] [flags]

Commands:
${columns(visible.map((c) => [c.name, c.summary]))}

Examples:
  cancelkit plugins list
  cancelkit cancel alibaba.ecs.task --region-id cn-hangzhou --task-id t-bp1a2b3c
  cancelkit plan alibaba.tair.ops-event --ids 1,2,3
  cancelkit inspect alibaba.oos.execution --region-id cn-hangzhou --execution-id exec-0a1b2c
  cancelkit plan --from targets.ndjson                # the batch's dry run: sends no cancel
  cancelkit cancel --from targets.ndjson --journal run.journal --output ndjson
  cancelkit cancel alibaba.ecs.task --help        # that plugin's flags, descriptions and examples
  cancelkit demo                                  # try it without a cloud account

Flags (of cancel; the other commands take a subset):
${columns([...Object.entries(COMMANDS[0]?.options ?? {}).map(([name, spec]) => optionLine(name, spec)), ['-V, --version', 'Print the version (alone, before any command).']])}

Output:
  table on a terminal, json otherwise; --output ndjson streams one record per line and a
  {"summary": …} line last. Records: plugin, target, outcome (cancelled | already-finished |
  not-cancellable | not-found | failed), requestId, reason, error {code, providerCode, message},
  attempts, durationMs.

Exit codes:
${exitCodesHelp()}
  A batch exits 0 when every target was cancelled or already finished; with the one shared code
  when no target ended well and all failed the same way; otherwise 9. A resumed batch (--journal)
  counts the outcomes earlier runs settled.
  plan exits 0 whenever it could plan every target; inspect exits 5 when a target does not exist.

Config file (cancelkit.config.json in the current directory, or --config FILE):
  { "plugins": ["cancelkit-plugin-x", "./local-plugin"], "discover": true,
    "endpoints": { "alibaba.ecs": "https://ecs.cn-hangzhou.aliyuncs.com" },
    "providers": { "<provider>": { … } }, "rateLimits": { "alibaba.ecs": 20 },
    "concurrency": 8, "retry": { "maxAttempts": 4 }, "timeoutMs": 15000 }
  Credentials come from each provider's standard environment variables and files, or from
  "providers" in the config file; --profile picks a named profile.

Environment:
  NO_COLOR   disable colours        FORCE_COLOR   force colours

Run \`cancelkit <command> --help\` for a command's flags and examples.
`;
}

export function commandHelp(command: CommandInfo): string {
  const parts = [`Usage:\n${command.usage.map((u) => `  ${u}`).join('\n')}`, command.summary + '.'];
  if (command.description) parts.push(command.description);
  if (Object.keys(command.options).length > 0) parts.push(`Flags:\n${optionsHelp(command.options)}`);
  if (command.examples.length > 0) parts.push(`Examples:\n${command.examples.map((e) => `  ${e}`).join('\n')}`);
  if (command.module === 'target') {
    parts.push(`Plugin params are flags from the plugin's manifest; see \`cancelkit ${command.name} <plugin-id> --help\` or \`cancelkit plugins list\`.`);
    parts.push(`Exit codes:\n${exitCodesHelp()}`);
  }
  return parts.join('\n\n') + '\n';
}

function paramRow(flag: ParamFlag): [string, string] {
  const value = flag.kind === 'boolean' ? '' : flag.kind === 'array' ? ` <${flag.itemKind},…>` : ` <${flag.kind}>`;
  const notes = [
    flag.required ? '(required)' : '',
    flag.isTarget ? '(target)' : '',
    flag.enumValues ? `one of ${flag.enumValues.map((v) => JSON.stringify(v)).join(', ')}` : '',
    flag.defaultValue !== undefined ? `default ${JSON.stringify(flag.defaultValue)}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return [`    --${flag.flag}${value}`, [flag.description ?? '', notes].filter(Boolean).join(' ')];
}

/** `cancelkit cancel <id> --help`: the plugin's flags, descriptions, docs link and examples. */
export function pluginHelp(command: CommandInfo, plugin: DiscoveredPlugin, flags: readonly ParamFlag[], hidden: readonly string[]): string {
  const m = plugin.manifest;
  const required = flags.filter((f) => f.required).map((f) => `--${f.flag} <${f.kind === 'array' ? `${f.itemKind},…` : f.kind}>`);
  const lines = [
    `Usage:\n  cancelkit ${command.name} ${m.id} ${required.join(' ')}${flags.some((f) => !f.required) ? ' [--<param> value…]' : ''} [flags]`,
    `${m.title}${m.description ? `\n${m.description}` : ''}`,
    `Plugin: ${m.id} (${plugin.packageName}@${plugin.packageVersion})\nDocs:   ${m.docsUrl}\nCan:    ${[
      'cancel',
      m.capabilities.inspect ? 'inspect / plan / pre-check' : '',
      m.capabilities.wait ? '--wait' : '',
      m.capabilities.batch ? 'several targets in one call' : '',
    ]
      .filter(Boolean)
      .join(', ')}`,
    `Params:\n${flags.length > 0 ? columns(flags.map(paramRow), '') : '  (none)'}`,
  ];
  if (hidden.length > 0) {
    lines.push(`Params whose names clash with global flags (${hidden.join(', ')}) can be passed with --params '{"name": value}'.`);
  }
  if (m.examples && m.examples.length > 0) {
    lines.push(`Examples:\n${m.examples.map((ex) => `  cancelkit ${command.name} ${m.id} ${paramsToArgs(ex).map(shellQuote).join(' ')}`).join('\n')}`);
  }
  lines.push(`Flags:\n${optionsHelp(command.options)}`);
  return lines.join('\n\n') + '\n';
}
