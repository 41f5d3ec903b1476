/**
 * `cancelkit emulator`: one local server that plays every installed plugin's cloud service, with the
 * demo credentials unless `--access-key-id` / `--access-key-secret` / `--project-id` or the
 * `CANCELKIT_EMULATOR_*` variables say otherwise (each flag wins over its variable). Prints where it
 * listens, the credentials (never a secret other than the public demo one) and an example, and stops
 * cleanly on SIGINT / SIGTERM.
 */
import path from 'node:path';
import { type EmulatorCredential, emulatorClientSettings, type ServiceEmulation } from '@cancelkit/core/emulation';
import { CancelKitError, isCancelKitError } from '@cancelkit/core/plugin';
import { parseStrict, stringValue, usageError } from '../args.js';
import type { CommandInfo } from '../commands.js';
import { loadConfigFile } from '../config.js';
import { demoCredential } from '../demo/scenario.js';
import { EXIT } from '../exit-codes.js';
import { commandHelp } from '../help.js';
import type { SignalName } from '../io.js';
import { paramsToArgs, shellQuote } from '../params.js';
import { openRegistry } from '../registry.js';
import type { CommandContext } from '../runtime.js';

/**
 * The URL a client on this machine should use. A server bound to every interface (0.0.0.0, ::) prints
 * that address as its URL, but it is no address to connect to, and the CLI rightly refuses plain http to
 * a non-loopback host: the examples use the loopback address of the same family instead.
 */
export function clientUrl(serverUrl: string): string {
  const url = new URL(serverUrl);
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  else if (url.hostname === '[::]') url.hostname = '[::1]';
  return url.origin;
}

/** Where each part of the emulator's key came from, for the banner. */
type Source = 'flag' | 'env' | 'demo';

interface ChosenCredential {
  readonly credential: EmulatorCredential | undefined;
  readonly sources: { readonly accessKeyId: Source; readonly secret: Source; readonly projectId: Source };
}

/**
 * The key the emulator accepts: each credential flag overrides its `CANCELKIT_EMULATOR_*` variable, which
 * overrides that field of the demo key (as `emulatorOptionsFromEnv` layers variables over the demo key).
 * `undefined` credential = nothing was given: the emulator's own default, the demo key.
 */
export function chooseCredential(
  flags: { accessKeyId?: string; accessKeySecret?: string; projectId?: string },
  env: Readonly<Record<string, string | undefined>>,
  fromEnv: EmulatorCredential | undefined,
  demo: { readonly accessKeyId: string; readonly accessKeySecret: string; readonly projectId: string },
  names: { readonly accessKeyId: string; readonly accessKeySecret: string; readonly projectId: string },
): ChosenCredential {
  const given = (name: string) => env[name] !== undefined && (name === names.accessKeySecret ? env[name] !== '' : env[name]?.trim() !== '');
  for (const [flag, value] of [
    ['--access-key-id', flags.accessKeyId],
    ['--access-key-secret', flags.accessKeySecret],
    ['--project-id', flags.projectId],
  ] as const) {
    if (value !== undefined && value.trim() === '') throw usageError(`${flag} needs a value.`, `Leave ${flag} out to keep the ${flag === '--project-id' ? 'demo project id' : 'demo key'}.`);
  }
  const sources = {
    accessKeyId: flags.accessKeyId !== undefined ? 'flag' : given(names.accessKeyId) ? 'env' : 'demo',
    secret: flags.accessKeySecret !== undefined ? 'flag' : given(names.accessKeySecret) ? 'env' : 'demo',
    projectId: flags.projectId !== undefined ? 'flag' : given(names.projectId) ? 'env' : 'demo',
  } as const;
  if (flags.accessKeyId === undefined && flags.accessKeySecret === undefined && flags.projectId === undefined) {
    return { credential: fromEnv, sources };
  }
  const base = fromEnv ?? { accessKeyId: demo.accessKeyId, secret: demo.accessKeySecret, projectId: demo.projectId };
  return {
    credential: {
      ...base,
      accessKeyId: flags.accessKeyId?.trim() ?? base.accessKeyId,
      secret: flags.accessKeySecret ?? base.secret,
      projectId: flags.projectId?.trim() ?? base.projectId ?? demo.projectId,
    },
    sources,
  };
}

function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw usageError(`--port "${text}" is not a port number.`, 'Use 0–65535 (0 picks a free port), e.g. --port 8787.');
  return Number(text);
}

/** `--faults '{"throttle":0.2}'`: JSON, checked by the emulator's own fault parser; a usage error names the field. */
function parseFaultsFlag<T>(text: string, parse: (input: unknown) => T): T {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw usageError(`--faults is not JSON (${(error as Error).message}).`, `Quote it for the shell, e.g. --faults '{"throttle":0.2,"seed":7}'.`);
  }
  try {
    return parse(input);
  } catch (error) {
    if (isCancelKitError(error)) {
      const issue = error.issues[0];
      const what = error.issues.map((i) => `${i.field || 'faults'} ${i.message}`).join('; ');
      throw usageError(`--faults: ${what}.`, issue?.hint ?? 'See GET /_emulator/ ("faultFields") for every fault and its range.');
    }
    throw error;
  }
}

export async function run(ctx: CommandContext, info: CommandInfo): Promise<number> {
  const { values, positionals } = parseStrict(ctx.args, info.options, { commandLine: 'cancelkit emulator', helpCommand: 'cancelkit emulator --help' });
  if (values.help === true) {
    ctx.printer.out(commandHelp(info));
    return EXIT.ok;
  }
  if (positionals.length > 0) throw usageError(`Unexpected argument "${positionals[0]}" for \`cancelkit emulator\`.`, 'See `cancelkit emulator --help`.');
  const { startEmulator, emulatorOptionsFromEnv, parseFaultSettings, DEMO_CREDENTIALS, DEFAULT_PORT, EMULATOR_ENV } = await import('@cancelkit/emulator');
  const faultsFlag = stringValue(values, 'faults');
  // Checked before anything starts: a typo in a fault must not leave a fault-free emulator running.
  const faults = faultsFlag !== undefined ? parseFaultsFlag(faultsFlag, parseFaultSettings) : undefined;
  const fromEnv = emulatorOptionsFromEnv(ctx.io.env);
  const chosen = chooseCredential(
    {
      ...(stringValue(values, 'access-key-id') !== undefined ? { accessKeyId: stringValue(values, 'access-key-id') } : {}),
      ...(stringValue(values, 'access-key-secret') !== undefined ? { accessKeySecret: stringValue(values, 'access-key-secret') } : {}),
      ...(stringValue(values, 'project-id') !== undefined ? { projectId: stringValue(values, 'project-id') } : {}),
    },
    ctx.io.env,
    fromEnv.credentials?.[0],
    DEMO_CREDENTIALS,
    EMULATOR_ENV,
  );
  // Registered before anything can print or fail, so no output (errors, --debug lines) shows it.
  const key = chosen.credential;
  if (key && key.secret !== DEMO_CREDENTIALS.accessKeySecret) ctx.secrets.add(key.secret);
  const portFlag = stringValue(values, 'port');
  const stateFlag = stringValue(values, 'state');
  const statePath = stateFlag !== undefined ? path.resolve(ctx.io.cwd, stateFlag) : fromEnv.statePath;

  const loaded = loadConfigFile(stringValue(values, 'config'), ctx.io.cwd);
  const registry = await openRegistry(loaded, ctx.io.cwd);
  const emulations = new Map<string, ServiceEmulation>();
  const examples: string[] = [];
  for (const entry of registry.list()) {
    let emulation: ServiceEmulation | undefined;
    try {
      emulation = await entry.loadEmulation();
    } catch (error) {
      ctx.errPrinter.err(`warning: ${entry.packageName}: its emulation could not be loaded: ${(error as Error).message}\n`);
      continue;
    }
    if (!emulation || emulations.has(emulation.service)) continue;
    emulations.set(emulation.service, emulation);
    const example = entry.manifest.examples?.[0];
    if (example) examples.push(`cancelkit cancel ${entry.manifest.id} ${paramsToArgs(example).map(shellQuote).join(' ')}`);
  }
  for (const p of registry.problems()) ctx.errPrinter.err(`warning: ${p.packageName} cannot be used: ${p.problem}\n`);
  if (emulations.size === 0) {
    throw new CancelKitError('InvalidInput', 'No installed plugin ships an emulation, so there is nothing to emulate.', {
      hint: 'Install cancelkit plugin packages (they export ./emulation), or list them under "plugins" in cancelkit.config.json.',
    });
  }

  const emulator = await startEmulator({
    ...fromEnv,
    ...(key ? { credentials: [key] } : {}),
    port: portFlag !== undefined ? parsePort(portFlag) : (fromEnv.port ?? DEFAULT_PORT),
    ...(stringValue(values, 'host') !== undefined ? { host: stringValue(values, 'host') as string } : {}),
    ...(statePath !== undefined ? { statePath } : {}),
    emulations: [...emulations.values()],
    ...(ctx.debug ? { log: (line: string) => ctx.errPrinter.err(`${line}\n`) } : {}),
  });
  if (faults) emulator.setFaults(faults);
  // Listen for Ctrl-C / SIGTERM before the banner says the emulator is ready: whoever reads the banner and
  // stops it at once must meet the clean shutdown, not the default signal disposition.
  const stopRequested = new Promise<SignalName>((resolve) => {
    const off = ctx.io.onSignal((s) => {
      off();
      resolve(s);
    });
  });

  const reachAt = clientUrl(emulator.url);
  const isDemoKey = !key || (key.accessKeyId === DEMO_CREDENTIALS.accessKeyId && key.secret === DEMO_CREDENTIALS.accessKeySecret);
  const isDemoSecret = !key || key.secret === DEMO_CREDENTIALS.accessKeySecret;
  const { sources } = chosen;
  const from = [...new Set([sources.accessKeyId, sources.secret, sources.projectId].filter((s) => s !== 'demo'))]
    .map((s) => (s === 'flag' ? 'flags' : 'CANCELKIT_EMULATOR_*'))
    .join(' and ');
  // Only the public demo secret is ever printed; any other is named by where it was given.
  const secretLine = isDemoSecret
    ? DEMO_CREDENTIALS.accessKeySecret
    : sources.secret === 'flag'
      ? '(as given with --access-key-secret)'
      : `(as set in ${EMULATOR_ENV.accessKeySecret})`;
  const lines = [
    `cancelkit emulator listening on ${emulator.url}`,
    `services: ${emulator.services.join(', ')}`,
    statePath ? `state: ${statePath}` : 'state: in memory (use --state FILE to keep it)',
    ...(faults ? [`faults: ${JSON.stringify(emulator.currentFaults())}`] : []),
    '',
    isDemoKey ? 'credentials (the public demo key; it opens nothing but this emulator):' : `credentials (from ${from || 'the demo key'}):`,
    `  access key id      ${key?.accessKeyId ?? DEMO_CREDENTIALS.accessKeyId}`,
    `  access key secret  ${secretLine}`,
    `  project id         ${key?.projectId ?? DEMO_CREDENTIALS.projectId}`,
    '',
    'try it:',
    `  curl -s -X POST ${reachAt}/_emulator/operations -H 'content-type: application/json' -d '{"service":"${emulator.services[0]}"}'`,
  ];
  if (isDemoSecret) {
    // Each provider's protocol names the variables its clients read; printed only with the public demo
    // secret (a custom key id or project id is no secret).
    const { env } = emulatorClientSettings([...emulations.values()], key ?? demoCredential(DEMO_CREDENTIALS));
    lines.push(...Object.entries(env).map(([name, value]) => `  export ${name}=${shellQuote(value)}`));
  }
  if (examples[0]) lines.push(`  ${examples[0]} --endpoint ${reachAt}`);
  lines.push('', 'Ctrl-C stops it.', '');
  ctx.printer.out(lines.join('\n'));

  const signal = await stopRequested;
  await emulator.stop();
  ctx.errPrinter.info(`emulator stopped (${signal}).\n`);
  return EXIT.ok;
}
