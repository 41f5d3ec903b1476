import { describe, expect, it } from 'vitest';
import { detectFormat, parseBatch, parseCsv, parseCsvRecords, parseNdjson } from './batch-input.js';

describe('NDJSON', () => {
  it('reads one item per line, normalises kebab keys, skips blank and comment lines', () => {
    const entries = parseNdjson('{"plugin":"a.b.c","params":{"task-id":"t1"}}\r\n\n# comment\n{"plugin":"a.b.c","params":{"taskId":"t2"}}');
    expect(entries).toEqual([
      { line: 1, plugin: 'a.b.c', params: { taskId: 't1' } },
      { line: 4, plugin: 'a.b.c', params: { taskId: 't2' } },
    ]);
  });

  it('turns every kind of bad line into an entry with a problem, never an exception', () => {
    const entries = parseNdjson(['{oops', '[1]', '{"params":{}}', '{"plugin":"a.b.c","params":[]}', '{"plugin":"a.b.c","taskId":"x"}'].join('\n'));
    expect(entries.map((e) => [e.line, e.problem?.message])).toEqual([
      [1, expect.stringContaining('line 1 is not valid JSON')],
      [2, 'line 2 is not a JSON object'],
      [3, 'line 3 has no "plugin"'],
      [4, 'line 4: "params" must be an object'],
      [5, 'line 5: unexpected key "taskId"'],
    ]);
    expect(entries[4]?.problem?.hint).toBe('Put every param inside "params".');
  });

  it('a bad line keeps the plugin it names, when it names one', () => {
    const entries = parseNdjson(['{"plugin":"a.b.c","params":{"taskId":"t1"}', '{"plugin":"x\\"y","params":', '{"plugin":7}', '{oops}', '{"plugin":"a.b.c","params":[]}'].join('\n'));
    expect(entries.map((e) => [e.line, e.plugin, e.problem !== undefined])).toEqual([
      [1, 'a.b.c', true],
      [2, 'x"y', true],
      [3, '7', true],
      [4, '', true],
      [5, 'a.b.c', true],
    ]);
  });
});

describe('CSV', () => {
  it('handles quotes, doubled quotes, commas and newlines inside quotes, CRLF and a BOM', () => {
    const records = parseCsvRecords('\uFEFFa,b\r\n"x,1","say ""hi"""\r\n"multi\nline",z\n');
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x,1', 'say "hi"'] },
      { line: 3, fields: ['multi\nline', 'z'] },
    ]);
  });

  it('maps columns (kebab or camel) to cells and reports bad rows by line', () => {
    const entries = parseCsv('plugin,region-id,taskId\na.b.c,r1,t1\na.b.c,r1\n,r1,t3\na.b.c,"r1,t4\n');
    expect(entries[0]).toEqual({ line: 2, plugin: 'a.b.c', cells: { regionId: 'r1', taskId: 't1' } });
    expect(entries[1]?.problem?.message).toBe('line 3 has 2 fields, the header has 3');
    expect(entries[2]?.problem?.message).toBe('line 4 has an empty plugin column');
    expect(entries[3]?.problem?.message).toContain('a quoted field is not closed');
  });

  it('skips rows of nothing but separators, as spreadsheets export blank rows, and keeps line numbers right', () => {
    const entries = parseCsv('plugin,region-id,task-id\r\na.b.c,r1,t1\r\n,,\r\n , ,""\r\na.b.c,r1,t2\r\n,,\r\n');
    expect(entries).toEqual([
      { line: 2, plugin: 'a.b.c', cells: { regionId: 'r1', taskId: 't1' } },
      { line: 5, plugin: 'a.b.c', cells: { regionId: 'r1', taskId: 't2' } },
    ]);
    // A row with some value but no plugin is still an error, not a blank row.
    expect(parseCsv('plugin,task-id\n,t9\n')[0]?.problem?.message).toBe('line 2 has an empty plugin column');
  });

  it('requires a plugin column and unique column names', () => {
    expect(parseCsv('region,task\nr,t\n')[0]?.problem?.message).toBe('the CSV has no "plugin" column');
    expect(parseCsv('plugin,task-id,taskId\na,b,c\n')[0]?.problem?.message).toBe('the CSV header names column "taskId" twice');
    expect(parseCsv('')).toEqual([]);
  });

  it('flags a quote inside an unquoted field', () => {
    expect(parseCsv('plugin,x\na.b.c,ab"c\n')[0]?.problem?.message).toContain('a quote inside an unquoted field');
  });
});

describe('format detection', () => {
  it('uses the file extension, else the first character', () => {
    expect(detectFormat('{}', 'x.csv')).toBe('csv');
    expect(detectFormat('plugin', 'x.jsonl')).toBe('ndjson');
    expect(detectFormat('  \n{"plugin":1}')).toBe('ndjson');
    expect(detectFormat('plugin,task-id')).toBe('csv');
    expect(parseBatch('plugin,id\na.b.c,1\n')).toHaveLength(1);
  });

  it('looks past leading comment lines, which NDJSON allows (a batch piped on stdin has no file name)', () => {
    const text = '# stale ECS tasks\n// exported 2024-05-01\n\n{"plugin":"a.b.c","params":{"taskId":"t1"}}\n';
    expect(detectFormat(text)).toBe('ndjson');
    expect(parseBatch(text)).toEqual([{ line: 4, plugin: 'a.b.c', params: { taskId: 't1' } }]);
    expect(detectFormat('# targets\nplugin,task-id\na.b.c,t1\n')).toBe('csv');
  });
});
