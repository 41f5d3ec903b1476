import { describe, expect, it } from 'vitest';
import { firstPositional, GLOBAL_OPTIONS, parseDuration, parsePositiveInteger, parseStrict, pickOptions, suggest } from './args.js';

const context = { commandLine: 'cancelkit cancel x.y.z', helpCommand: 'cancelkit cancel x.y.z --help' };
const options = { ...pickOptions(['output', 'wait', 'precheck', 'endpoint', 'help']), 'task-id': { type: 'string', description: '' } } as const;

describe('parseStrict', () => {
  it('parses values, negations and short flags', () => {
    const { values, positionals } = parseStrict(['x.y.z', '--task-id', 't-1', '--no-precheck', '-o', 'json', '--wait'], options, context);
    expect(values).toMatchObject({ 'task-id': 't-1', precheck: false, output: 'json', wait: true });
    expect(positionals).toEqual(['x.y.z']);
  });

  it('every mistake is a usage error naming the flag and the fix', () => {
    const fail = (args: string[]) => {
      try {
        parseStrict(args, options, context);
      } catch (error) {
        return `${(error as Error).message} | ${(error as { hint?: string }).hint}`;
      }
      return 'no error';
    };
    expect(fail(['--task', 't'])).toBe('Unknown flag --task for `cancelkit cancel x.y.z`. | Did you mean --task-id? See `cancelkit cancel x.y.z --help`.');
    expect(fail(['--zzz'])).toBe('Unknown flag --zzz for `cancelkit cancel x.y.z`. | See `cancelkit cancel x.y.z --help` for its flags.');
    expect(fail(['--task-id'])).toBe('--task-id needs a value. | Pass --task-id <value>.');
    expect(fail(['--task-id', '--wait'])).toBe('--task-id needs a value. | Pass --task-id <value>.');
    expect(fail(['--wait=yes'])).toBe('--wait takes no value (got "yes"). | Write --wait on its own.');
    expect(fail(['--no-endpoint'])).toBe('--no-endpoint is not a flag; --endpoint takes a value. | Pass --endpoint <url>.');
    expect(fail(['--task-id', 'a', '--task-id', 'b'])).toBe('--task-id was given more than once. | Pass --task-id once.');
  });

  it('accepts an inline value starting with a dash', () => {
    expect(parseStrict(['--task-id=-x'], options, context).values['task-id']).toBe('-x');
  });

  it('a negative number is a value (for the flag to judge), not a missing one', () => {
    expect(parseStrict(['--task-id', '-3'], options, context).values['task-id']).toBe('-3');
    expect(parseStrict(['--task-id', '-0.5'], options, context).values['task-id']).toBe('-0.5');
    expect(() => parseStrict(['--task-id', '-x'], options, context)).toThrow(/--task-id needs a value/);
  });
});

describe('firstPositional', () => {
  it('skips flag values, including unknown (plugin) flags', () => {
    expect(firstPositional(['--region-id', 'r', '-o', 'json', '--wait', 'a.b.c', '--x'], GLOBAL_OPTIONS)).toEqual({ value: 'a.b.c', index: 5 });
    expect(firstPositional(['--no-precheck', '--task=1', 'a.b.c'], GLOBAL_OPTIONS)?.value).toBe('a.b.c');
    expect(firstPositional(['--from', 'f.csv'], GLOBAL_OPTIONS)).toBeUndefined();
    expect(firstPositional(['--', 'a.b.c'], GLOBAL_OPTIONS)?.value).toBe('a.b.c');
  });
});

describe('values', () => {
  it('durations', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('90')).toBe(90_000);
    expect(() => parseDuration('soon')).toThrow(/is not a duration/);
    expect(() => parseDuration('0s')).toThrow(/longer than zero/);
    expect(() => parseDuration('0')).toThrow(/longer than zero/);
    expect(() => parseDuration('0.0001')).toThrow(/longer than zero/);
    expect(() => parseDuration('')).toThrow();
  });

  it('positive integers', () => {
    expect(parsePositiveInteger('16', '--concurrency')).toBe(16);
    expect(() => parsePositiveInteger('1.5', '--concurrency')).toThrow(/--concurrency must be a positive integer \(got "1.5"\)/);
  });

  it('suggestions', () => {
    expect(suggest('cancle', ['cancel', 'plan'])).toBe('cancel');
    expect(suggest('zzz', ['cancel', 'plan'])).toBeUndefined();
    expect(suggest('task', ['task-id', 'region-id'])).toBe('task-id');
  });
});
