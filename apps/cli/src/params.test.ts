import { describe, expect, it } from 'vitest';
import { coerceParams, flagOfField, missingRequired, paramFlags, paramsToArgs, shellQuote } from './params.js';

const manifest = {
  targetParam: 'ids',
  paramsSchema: {
    type: 'object',
    properties: {
      regionId: { type: 'string', description: 'Region.' },
      ids: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'integer' } }], description: 'Event ids.' },
      limit: { type: 'integer', default: 10 },
      ratio: { type: ['number', 'null'] },
      force: { type: 'boolean' },
      mode: { enum: ['fast', 'slow'] },
      filter: { type: 'object' },
    },
    required: ['ids'],
  },
};

describe('paramFlags', () => {
  it('derives kebab-case flags and kinds from the JSON Schema, required first', () => {
    const flags = paramFlags(manifest);
    expect(flags.map((f) => [f.flag, f.kind, f.required])).toEqual([
      ['ids', 'array', true],
      ['region-id', 'string', false],
      ['limit', 'integer', false],
      ['ratio', 'number', false],
      ['force', 'boolean', false],
      ['mode', 'string', false],
      ['filter', 'json', false],
    ]);
    const ids = flags[0];
    expect(ids).toMatchObject({ itemKind: 'integer', isTarget: true, description: 'Event ids.' });
    expect(flags.find((f) => f.name === 'limit')?.defaultValue).toBe(10);
    expect(flags.find((f) => f.name === 'mode')?.enumValues).toEqual(['fast', 'slow']);
  });

  it('copes with a schema without properties', () => {
    expect(paramFlags({ targetParam: 'x', paramsSchema: {} })).toEqual([]);
  });
});

describe('coerceParams', () => {
  const flags = paramFlags(manifest);

  it('splits lists on commas across repeated flags and converts numbers and booleans', () => {
    const { params, issues } = coerceParams(flags, {
      ids: ['1,2', ' 3 ,'],
      regionId: 'cn-hangzhou',
      limit: '5',
      ratio: '0.5',
      force: true,
      filter: '{"a":1}',
    });
    expect(issues).toEqual([]);
    expect(params).toEqual({ ids: [1, 2, 3], regionId: 'cn-hangzhou', limit: 5, ratio: 0.5, force: true, filter: { a: 1 } });
  });

  it('reports values that cannot be converted, naming the field', () => {
    const { issues } = coerceParams(flags, { ids: 'x', limit: '1.5', force: 'maybe', filter: '{', regionId: ['a', 'b'] });
    expect(issues.map((i) => i.field)).toEqual(['ids', 'regionId', 'limit', 'force', 'filter']);
    expect(issues[0]?.message).toBe('"x" is not an integer');
  });

  it('treats empty CSV cells as absent and parses boolean text', () => {
    expect(coerceParams(flags, { regionId: '', ids: '', force: 'yes' }).params).toEqual({ force: true });
  });
});

describe('helpers', () => {
  it('missingRequired names the flag and the fix', () => {
    expect(missingRequired(paramFlags(manifest), {})).toEqual([{ field: 'ids', message: 'is required', hint: 'pass --ids <integer,…>' }]);
  });

  it('flagOfField maps manifest fields (and nested paths) to flags', () => {
    const flags = paramFlags(manifest);
    expect(flagOfField('regionId', flags)).toBe('--region-id');
    expect(flagOfField('ids.2', flags)).toBe('--ids (value 3)');
    expect(flagOfField('filter.a.b', flags)).toBe('--filter.a.b');
    expect(flagOfField('', flags)).toBe('params');
  });

  it('paramsToArgs and shellQuote render runnable examples', () => {
    expect(paramsToArgs({ regionId: 'r', ids: [1, 2], force: false, skip: undefined }).map(shellQuote)).toEqual(['--region-id', 'r', '--ids', '1,2', '--no-force']);
    expect(shellQuote("fsm-1@x y'z")).toBe(`'fsm-1@x y'\\''z'`);
  });
});
