import { describe, expect, it } from 'vitest';
import { createLogger, type LogRecord, REDACTED, SecretRegistry } from './logger.js';

describe('redacting logger', () => {
  it('removes registered secrets from messages and nested fields, and masks sensitive keys', () => {
    const secrets = new SecretRegistry();
    secrets.add('s3cr3t-value-123');
    const records: LogRecord[] = [];
    const log = createLogger({ sink: (r) => records.push(r), level: 'debug', secrets });
    log.debug('signing with s3cr3t-value-123', {
      headers: { authorization: 'ACS3-HMAC-SHA256 Credential=ak,Signature=abc', host: 'ecs.aliyuncs.com' },
      nested: [{ note: 'xx s3cr3t-value-123 yy' }],
      accessKeySecret: 'whatever',
      error: new Error('bad s3cr3t-value-123'),
    });
    const text = JSON.stringify(records);
    expect(text).not.toContain('s3cr3t-value-123');
    expect(text).not.toContain('Signature=abc');
    expect(records[0]?.fields).toMatchObject({ headers: { authorization: REDACTED, host: 'ecs.aliyuncs.com' }, accessKeySecret: REDACTED });
    expect(records[0]?.message).toBe(`signing with ${REDACTED}`);
    // The secret is removed from inside the nested values, which are kept: not dropped wholesale.
    expect(records[0]?.fields?.nested).toEqual([{ note: `xx ${REDACTED} yy` }]);
    expect(records[0]?.fields?.error).toMatchObject({ message: `bad ${REDACTED}` });
  });

  it('filters by level and survives cycles', () => {
    const records: LogRecord[] = [];
    const log = createLogger({ sink: (r) => records.push(r), level: 'warn' });
    log.info('hidden');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    log.warn('shown', { cyclic });
    expect(records.map((r) => r.message)).toEqual(['shown']);
    expect(records[0]?.fields).toMatchObject({ cyclic: { a: 1, self: '[Circular]' } });
  });

  it('redacts a secret whole even when a shorter registered secret occurs inside it', () => {
    const secrets = new SecretRegistry();
    secrets.add('abcd');
    secrets.add('abcdefgh-long-secret');
    secrets.add('abcd');
    expect(secrets.size).toBe(2);
    expect(secrets.redactString('token=abcdefgh-long-secret id=abcd')).toBe('token=[REDACTED] id=[REDACTED]');
  });

  it('ignores strings too short to be secrets', () => {
    const secrets = new SecretRegistry();
    secrets.add('ab');
    secrets.add(undefined);
    expect(secrets.size).toBe(0);
    expect(secrets.redactString('about')).toBe('about');
  });
});
