/**
 * Shell completion. The scripts are thin: they ask `cancelkit __complete <words…>` for candidates, so
 * plugin ids and each plugin's flags always match what is installed (manifests only, no plugin code).
 */
import { type OptionSpecs, parseStrict, usageError } from '../args.js';
import { COMMANDS, type CommandInfo, findCommand } from '../commands.js';
import { loadConfigFile } from '../config.js';
import { EXIT } from '../exit-codes.js';
import { commandHelp } from '../help.js';
import { OUTPUT_FORMATS } from '../output.js';
import { paramFlags } from '../params.js';
import { openRegistry } from '../registry.js';
import type { CommandContext } from '../runtime.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export function completionScript(shell: Shell): string {
  switch (shell) {
    case 'bash':
      return `# cancelkit bash completion: source it, or save it as /etc/bash_completion.d/cancelkit
_cancelkit() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local IFS=$'\\n'
  local candidates
  candidates=$(cancelkit __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
  if [ -z "$candidates" ]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
  fi
}
complete -o default -F _cancelkit cancelkit
`;
    case 'zsh':
      return `#compdef cancelkit
# cancelkit zsh completion: save it as _cancelkit in a directory of your $fpath
_cancelkit() {
  local -a candidates
  candidates=("\${(@f)$(cancelkit __complete "\${words[@]:1:$((CURRENT-1))}" 2>/dev/null)}")
  if (( \${#candidates[@]} == 0 )) || [[ -z "\${candidates[1]}" ]]; then
    _files
  else
    compadd -a candidates
  fi
}
if [ "$funcstack[1]" = "_cancelkit" ]; then
  _cancelkit "$@"
else
  compdef _cancelkit cancelkit
fi
`;
    case 'fish':
      return `# cancelkit fish completion: save it as ~/.config/fish/completions/cancelkit.fish
function __cancelkit_complete
    set -l words (commandline -opc) (commandline -ct)
    cancelkit __complete $words[2..-1] 2>/dev/null
end
complete -c cancelkit -a '(__cancelkit_complete)'
`;
  }
}

function flagNames(options: OptionSpecs): string[] {
  return Object.entries(options).flatMap(([name, spec]) => [spec.negated ? `--no-${name}` : `--${name}`]);
}

/** Candidates for the last word, given the words before it (after `cancelkit`). */
export async function candidates(words: readonly string[], ctx: CommandContext): Promise<string[]> {
  const current = words[words.length - 1] ?? '';
  const before = words.slice(0, -1);
  const startsWith = (list: readonly string[]) => list.filter((c) => c.startsWith(current));
  if (before.length === 0) return startsWith([...COMMANDS.filter((c) => !c.hidden).map((c) => c.name), '--help', '--version']);
  const info = findCommand(before[0] as string);
  if (!info || info.hidden) return [];
  const prev = before[before.length - 1] as string;
  // `--output` or its short form `-o`.
  const prevName = prev.startsWith('--') ? prev.slice(2) : /^-[^-]$/.test(prev) ? Object.keys(info.options).find((name) => info.options[name]?.short === prev.slice(1)) : undefined;
  const prevSpec = prevName === undefined ? undefined : info.options[prevName];
  if (prevSpec?.type === 'string') {
    // Other values are free text or files: no candidates, so the script falls back to file names.
    return prevName === 'output' ? startsWith(OUTPUT_FORMATS) : [];
  }
  if (info.name === 'completion') return before.length === 1 ? startsWith(SHELLS) : [];
  const ids = async () => {
    const registry = await openRegistry(loadConfigFile(undefined, ctx.io.cwd), ctx.io.cwd);
    return registry.list().map((e) => e.manifest);
  };
  if (info.name === 'plugins') {
    if (current.startsWith('-')) return startsWith(flagNames(info.options));
    if (before.length === 1) return startsWith(['list', 'info']);
    if (before.length === 2 && before[1] === 'info') return startsWith((await ids()).map((m) => m.id).sort());
    return [];
  }
  if (info.module !== 'target') return current.startsWith('-') || current === '' ? startsWith(flagNames(info.options)) : [];
  const manifests = await ids();
  const chosen = manifests.find((m) => before.includes(m.id));
  const chosenFlags = chosen ? paramFlags(chosen) : [];
  // The value of one of the plugin's params: free text, as above.
  if (chosenFlags.some((f) => f.kind !== 'boolean' && `--${f.flag}` === prev)) return [];
  if (current.startsWith('-') || chosen) {
    const own = chosenFlags.map((f) => `--${f.flag}`);
    return startsWith([...own, ...flagNames(info.options)]);
  }
  return startsWith(manifests.map((m) => m.id).sort());
}

export async function run(ctx: CommandContext, info: CommandInfo): Promise<number> {
  if (info.name === '__complete') {
    const words = ctx.args[0] === '--' ? ctx.args.slice(1) : ctx.args;
    try {
      for (const c of await candidates(words, ctx)) ctx.printer.out(`${c}\n`);
    } catch {
      // Completion must never print an error into the user's prompt.
    }
    return EXIT.ok;
  }
  const { values, positionals } = parseStrict(ctx.args, info.options, { commandLine: 'cancelkit completion', helpCommand: 'cancelkit completion --help' });
  if (values.help === true) {
    ctx.printer.out(commandHelp(info));
    return EXIT.ok;
  }
  const shell = positionals[0];
  if (shell === undefined || !(SHELLS as readonly string[]).includes(shell) || positionals.length > 1) {
    throw usageError(
      shell === undefined ? 'Missing the shell: `cancelkit completion bash|zsh|fish`.' : `Unsupported shell "${positionals.join(' ')}".`,
      'Use one of bash, zsh, fish.',
    );
  }
  ctx.printer.out(completionScript(shell as Shell));
  return EXIT.ok;
}
