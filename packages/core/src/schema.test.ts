import { describe, expect, it } from 'vitest';
import { findForbiddenKeys, parseWithSchema, type StandardSchemaV1, toCamelCase, toKebabCase } from './schema.js';

/** A minimal Standard Schema validator (core must not depend on any schema library). */
const taskSchema: StandardSchemaV1<unknown, { taskId: string }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate(value) {
      const v = value as { taskId?: unknown };
      if (typeof v?.taskId === 'string' && v.taskId.length > 0) return { value: { taskId: v.taskId } };
      return { issues: [{ message: 'is required', path: [{ key: 'taskId' }] }] };
    },
  },
};

describe('parseWithSchema', () => {
  it('returns the parsed value', () => {
    expect(parseWithSchema(taskSchema, { taskId: 't-1' })).toEqual({ taskId: 't-1' });
  });
  it('throws InvalidInput naming the field', () => {
    expect(() => parseWithSchema(taskSchema, {})).toThrowError(/taskId: is required/);
  });
  it('refuses prototype-pollution keys anywhere', () => {
    const hostile = JSON.parse('{"taskId":"t","nested":{"__proto__":{"x":1}}}');
    expect(() => parseWithSchema(taskSchema, hostile)).toThrowError(/nested.__proto__/);
    expect(findForbiddenKeys({ constructor: 1 })).toHaveLength(1);
  });
});

describe('flag names', () => {
  it('converts between camelCase and kebab-case', () => {
    expect(toKebabCase('taskId')).toBe('task-id');
    expect(toKebabCase('fsmId')).toBe('fsm-id');
    expect(toKebabCase('ids')).toBe('ids');
    expect(toCamelCase('region-id')).toBe('regionId');
  });
});
