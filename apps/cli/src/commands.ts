/** The command table: names, one-line summaries, their flags and examples. Help and completion read it. */
import { GLOBAL_OPTIONS, type GlobalOptionName, type OptionSpec, type OptionSpecs, pickOptions } from './args.js';

export interface CommandInfo {
  readonly name: string;
  readonly usage: readonly string[];
  readonly summary: string;
  readonly description?: string;
  readonly options: OptionSpecs;
  readonly examples: readonly string[];
  /** Module that implements it, imported only when it runs. */
  readonly module: 'target' | 'plugins' | 'emulator' | 'demo' | 'completion';
  readonly hidden?: boolean;
}

const COMMON: GlobalOptionName[] = ['config', 'profile', 'endpoint', 'allow-insecure-http', 'output', 'params', 'debug', 'quiet', 'color', 'help'];

const EMULATOR_OPTIONS: Record<string, OptionSpec> = {
  port: { type: 'string', valueName: 'n', description: 'Port to listen on (default 8787; 0 picks a free one).' },
  host: { type: 'string', valueName: 'address', description: 'Address to listen on (default 127.0.0.1).' },
  state: { type: 'string', valueName: 'file', description: 'Persist operations and used nonces in this file across restarts (default: memory only).' },
  'access-key-id': {
    type: 'string',
    valueName: 'id',
    description: 'Access key id the emulator accepts, instead of the demo key (env CANCELKIT_EMULATOR_ACCESS_KEY_ID).',
  },
  'access-key-secret': {
    type: 'string',
    valueName: 'secret',
    description:
      'Its secret (env CANCELKIT_EMULATOR_ACCESS_KEY_SECRET, preferred: a secret on the command line is visible to other users in `ps` and lands in shell history).',
  },
  'project-id': { type: 'string', valueName: 'id', description: 'Huawei project id bound to the key (env CANCELKIT_EMULATOR_PROJECT_ID).' },
  faults: {
    type: 'string',
    valueName: 'json',
    description:
      'Start with these faults, as PUT /_emulator/faults takes them, e.g. \'{"throttle":0.2,"seed":7}\' or \'{"deny":["CancelTask"]}\' (GET /_emulator/ lists every fault).',
  },
  ...pickOptions(['config', 'debug', 'quiet', 'help']),
};

/** Targets the demo cancels at once unless --concurrency says otherwise. */
export const DEMO_CONCURRENCY = 4;

export const COMMANDS: readonly CommandInfo[] = [
  {
    name: 'cancel',
    usage: ['cancelkit cancel <plugin-id> [--<param> value…] [flags]', 'cancelkit cancel --from <file|-> [flags]'],
    summary: 'Cancel one operation, or a batch from a file',
    description:
      'Pre-checks through inspect first when the plugin can (--no-precheck sends the cancel at once), retries throttling and transient failures, and reports one record per target.',
    options: pickOptions([...COMMON, 'precheck', 'wait', 'timeout', 'from', 'journal', 'concurrency', 'qps']),
    examples: [
      'cancelkit cancel alibaba.ecs.task --region-id cn-hangzhou --task-id t-bp1a2b3c',
      'cancelkit cancel alibaba.tair.ops-event --ids 11111,22222 --region-id cn-hangzhou',
      'cancelkit cancel huaweicloud.dds.scheduled-job --region cn-north-4 --job-id 6f1d… --wait --timeout 5m',
      'cancelkit cancel --from stale.ndjson --journal stale.journal --concurrency 16 --output ndjson',
      'cat targets.csv | cancelkit cancel --from - --qps 10',
    ],
    module: 'target',
  },
  {
    name: 'plan',
    usage: ['cancelkit plan <plugin-id> [--<param> value…] [flags]', 'cancelkit plan --from <file|-> [flags]'],
    summary: 'Dry run: what would be cancelled, whether it can be, and why',
    description:
      'Reads state through the plugin’s inspect call and applies the same rules as a real run. Sends no cancel request. With --from, plans every target of a batch file (the same NDJSON or CSV as cancel --from), --concurrency items at a time; a target that cannot be planned gets expected "failed" and its error.',
    options: pickOptions([...COMMON, 'from', 'concurrency', 'qps']),
    examples: [
      'cancelkit plan alibaba.oos.execution --region-id cn-hangzhou --execution-id exec-0a1b2c',
      'cancelkit plan alibaba.tair.ops-event --ids 1,2,3 -o json',
      'cancelkit plan --from stale.ndjson -o ndjson',
    ],
    module: 'target',
  },
  {
    name: 'inspect',
    usage: ['cancelkit inspect <plugin-id> [--<param> value…] [flags]'],
    summary: 'Show the current state of an operation',
    options: pickOptions([...COMMON, 'qps']),
    examples: ['cancelkit inspect alibaba.opensearch.fsm-task --region-id cn-hangzhou --instance-id ha-cn-abc --fsm-id fsm-1@x'],
    module: 'target',
  },
  {
    name: 'plugins',
    usage: ['cancelkit plugins list [flags]', 'cancelkit plugins info <plugin-id> [flags]'],
    summary: 'Installed plugins, their params and docs (reads manifests only)',
    options: pickOptions(['config', 'output', 'debug', 'quiet', 'color', 'help']),
    examples: ['cancelkit plugins list', 'cancelkit plugins info alibaba.ecs.task', 'cancelkit plugins list -o json'],
    module: 'plugins',
  },
  {
    name: 'emulator',
    usage: ['cancelkit emulator [--port 8787] [--host 127.0.0.1] [--state file] [--access-key-id id] [--project-id id] [--faults json]'],
    summary: 'Run the local emulator of every installed plugin’s cloud service',
    description:
      'Verifies request signatures like the clouds do. Credentials default to the public demo pair; --access-key-id, --access-key-secret and --project-id change them, each overriding its CANCELKIT_EMULATOR_* variable. Pass secrets through CANCELKIT_EMULATOR_ACCESS_KEY_SECRET rather than --access-key-secret: command lines are visible in `ps`. A non-demo secret is never printed. Stops cleanly on Ctrl-C / SIGTERM.',
    options: EMULATOR_OPTIONS,
    examples: [
      'cancelkit emulator',
      'cancelkit emulator --port 9000 --state ./emulator-state.json',
      `cancelkit emulator --faults '{"throttle":0.2,"reset":0.05,"seed":42}'`,
      'CANCELKIT_EMULATOR_ACCESS_KEY_SECRET=… cancelkit emulator --access-key-id team-ak --project-id team-project',
    ],
    module: 'emulator',
  },
  {
    name: 'demo',
    usage: ['cancelkit demo [flags]'],
    summary: 'Cancel a handful of seeded operations on an in-process emulator (no account needed)',
    options: {
      ...pickOptions(['output', 'concurrency', 'debug', 'quiet', 'color', 'help']),
      concurrency: { ...GLOBAL_OPTIONS.concurrency, description: `Targets in flight at once (default ${DEMO_CONCURRENCY}).` },
    },
    examples: ['cancelkit demo', 'cancelkit demo -o json'],
    module: 'demo',
  },
  {
    name: 'completion',
    usage: ['cancelkit completion bash|zsh|fish'],
    summary: 'Print a shell completion script',
    options: pickOptions(['help']),
    examples: [
      'cancelkit completion bash > /etc/bash_completion.d/cancelkit',
      'cancelkit completion zsh > ~/.zfunc/_cancelkit   # a directory in your fpath',
      'cancelkit completion fish > ~/.config/fish/completions/cancelkit.fish',
    ],
    module: 'completion',
  },
  {
    name: '__complete',
    usage: ['cancelkit __complete <words…>'],
    summary: 'Completion candidates (used by the completion scripts)',
    options: {},
    examples: [],
    module: 'completion',
    hidden: true,
  },
];

export function findCommand(name: string): CommandInfo | undefined {
  return COMMANDS.find((c) => c.name === name);
}

export { GLOBAL_OPTIONS };
