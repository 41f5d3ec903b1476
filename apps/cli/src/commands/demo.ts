/**
 * `cancelkit demo`: starts the emulator in-process on a free loopback port, seeds the demo scenarios the
 * installed plugins' emulations carry (some cancellable, some not, one missing), cancels
 * them through the same code path as `cancel --from`, prints the results and stops the emulator. It
 * needs no credentials and no network: the demo key is passed in config, the environment is not read.
 */
import os from 'node:os';
import path from 'node:path';
import type { CancelKitConfig } from '@cancelkit/core';
import { emulatorClientSettings } from '@cancelkit/core/emulation';
import { CancelKitError } from '@cancelkit/core/plugin';
import { parseStrict, parsePositiveInteger, stringValue, usageError } from '../args.js';
import { executeBatch, prepareBatch } from '../batch.js';
import type { BatchEntry } from '../batch-input.js';
import { type CommandInfo, DEMO_CONCURRENCY } from '../commands.js';
import { collectDemo, demoCredential } from '../demo/scenario.js';
import { EXIT } from '../exit-codes.js';
import { stopExitCode } from '../io.js';
import { commandHelp } from '../help.js';
import { createKit } from '../kit.js';
import { createResultSink, OUTPUT_FORMATS, resolveFormat } from '../output.js';
import { openRegistry } from '../registry.js';
import type { CommandContext } from '../runtime.js';

export async function run(ctx: CommandContext, info: CommandInfo): Promise<number> {
  const { values, positionals } = parseStrict(ctx.args, info.options, { commandLine: 'cancelkit demo', helpCommand: 'cancelkit demo --help' });
  if (values.help === true) {
    ctx.printer.out(commandHelp(info));
    return EXIT.ok;
  }
  if (positionals.length > 0) throw usageError(`Unexpected argument "${positionals[0]}" for \`cancelkit demo\`.`);
  const requested = stringValue(values, 'output');
  if (requested !== undefined && !(OUTPUT_FORMATS as readonly string[]).includes(requested)) {
    throw usageError(`--output "${requested}" is not a format.`, `Use --output ${OUTPUT_FORMATS.join('|')}.`);
  }
  const format = resolveFormat(requested, ctx.io.stdout, ctx.quiet);
  const concurrencyFlag = stringValue(values, 'concurrency');
  const concurrency = concurrencyFlag === undefined ? DEMO_CONCURRENCY : parsePositiveInteger(concurrencyFlag, '--concurrency');

  // The user's config is ignored on purpose: the demo must run the same on every machine.
  const registry = await openRegistry({ dir: ctx.io.cwd, content: {} }, ctx.io.cwd);
  const { steps, emulations, missing, broken } = await collectDemo(registry);
  for (const b of broken) ctx.errPrinter.err(`warning: ${b.packageName}: its emulation could not be loaded: ${b.message}\n`);
  if (steps.length === 0) {
    throw new CancelKitError('Unknown', 'The demo found no installed plugin whose emulation carries demo scenarios.', {
      hint: 'Install cancelkit plugin packages (keyword "cancelkit-plugin") next to the CLI; their ./emulation entry provides the scenarios.',
    });
  }

  const { startEmulator, DEMO_CREDENTIALS } = await import('@cancelkit/emulator');
  const credential = demoCredential(DEMO_CREDENTIALS);
  const emulator = await startEmulator({ port: 0, host: '127.0.0.1', credentials: [credential], emulations: [...emulations.values()] });
  try {
    const entries: BatchEntry[] = steps.map(({ service, scenario }, index) => {
      const op = scenario.seed ? emulator.createOperation(service, { ...scenario.seed }) : undefined;
      return { line: index + 1, plugin: scenario.plugin, params: scenario.params(op) };
    });
    const human = format === 'table' ? (text: string) => (ctx.quiet ? undefined : ctx.printer.out(text)) : (text: string) => ctx.errPrinter.info(text);
    human(`cancelkit demo — emulator on ${emulator.url} playing ${[...emulations.keys()].join(', ')}\n`);
    if (missing.size > 0) human(`(skipping ${[...missing].join(', ')}: not installed)\n`);
    human(`Seeded ${steps.filter((step) => step.scenario.seed).length} operations; cancelling ${entries.length} targets exactly as \`cancelkit cancel --from\` does:\n`);
    for (const [i, { scenario }] of steps.entries()) human(`  ${String(i + 1).padStart(2)}. ${scenario.title} → expect ${scenario.expected}\n`);
    human('\n');

    const batch = await prepareBatch(entries, registry);
    const config: CancelKitConfig = {
      endpoints: { '*': emulator.url },
      // Each provider's protocol says how its clients use the demo key.
      providers: emulatorClientSettings([...emulations.values()], credential).providers,
      // No environment and an empty home: nothing of the user's credentials or profiles is read.
      env: {},
      homeDir: path.join(os.tmpdir(), 'cancelkit-demo-no-home'),
    };
    const kit = await createKit(ctx, batch.plugins, config);
    try {
      const outcome = await executeBatch({
        kit,
        batch,
        sink: createResultSink(format, ctx.printer),
        format,
        errPrinter: ctx.errPrinter,
        io: ctx.io,
        concurrency,
      });
      if (outcome.interrupted) return stopExitCode(outcome.interrupted);
      const surprises = outcome.records
        .map((record) => ({ record, scenario: record.line === undefined ? undefined : steps[record.line - 1]?.scenario }))
        .filter(({ record, scenario }) => scenario === undefined || record.outcome !== scenario.expected);
      if (surprises.length > 0 || outcome.records.length !== steps.length) {
        for (const { record, scenario } of surprises) {
          ctx.errPrinter.err(
            `demo: step ${record.line ?? '?'} (${scenario?.title ?? record.target}) ended ${record.outcome}, expected ${scenario?.expected ?? 'nothing'}${record.error ? ` — ${record.error.code}: ${record.error.message}` : ''}\n`,
          );
        }
        return EXIT.internal;
      }
      ctx.errPrinter.info(`\nThe demo ran as designed: every outcome matched. Try \`cancelkit emulator\` and \`cancelkit --help\` next.\n`);
      return EXIT.ok;
    } finally {
      await kit.close();
    }
  } finally {
    await emulator.stop();
  }
}
