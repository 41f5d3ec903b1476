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

describe('parseWithSchema on hostile input', () => {
  it('refuses lone surrogates, naming the field', () => {
    expect(() => parseWithSchema(taskSchema, { taskId: `t-\ud800x` })).toThrowError(/taskId: is not well-formed text/);
  });
  it('turns unreadable input (throwing getters, proxies) into InvalidInput', () => {
    const trap = new Proxy({}, { ownKeys: () => { throw new Error('boom'); } });
    expect(() => parseWithSchema(taskSchema, trap)).toThrowError(expect.objectContaining({ code: 'InvalidInput' }));
  });
  it('never echoes a huge or control-laden parameter name verbatim', () => {
    const hostile: StandardSchemaV1<unknown, never> = {
      '~standard': { version: 1, vendor: 'test', validate: (v) => ({ issues: [{ message: `unknown parameter ${Object.keys(v as object)[0]}`, path: [] }] }) },
    };
    const key = `x\r\nX-Forged: 1${'k'.repeat(200_000)}`;
    try {
      parseWithSchema(hostile, { [key]: 1 });
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      expect(message.length).toBeLessThan(1_000);
      expect(message).not.toMatch(/[\r\n]/);
      expect(message).toContain('\\u000d');
    }
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
