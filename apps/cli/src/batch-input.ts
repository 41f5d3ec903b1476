/**
 * Batch files: NDJSON (`{"plugin": "...", "params": {...}}` per line) or CSV with a `plugin` column and
 * one column per param (kebab-case or camelCase). A bad line becomes an entry carrying its error, never
 * an exception: the batch reports a failed record for that line and goes on.
 */
import { normalizeKey } from './params.js';

export type BatchFormat = 'ndjson' | 'csv';

export interface BatchEntry {
  /** 1-based line number in the input (the first line of a CSV record). */
  readonly line: number;
  readonly plugin: string;
  /** Typed params (NDJSON). */
  readonly params?: Record<string, unknown>;
  /** Textual cells by camelCase name (CSV), converted later with the plugin's schema. */
  readonly cells?: Record<string, string>;
  /** Why the line cannot be used. */
  readonly problem?: { message: string; hint?: string };
}

/**
 * Picks the format from the file name, else from the first character that is not blank or part of a
 * leading comment line (`#`, `//`: NDJSON skips them, so they must not make a piped NDJSON batch CSV).
 */
export function detectFormat(text: string, fileName?: string): BatchFormat {
  const lower = fileName?.toLowerCase() ?? '';
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl') || lower.endsWith('.json')) return 'ndjson';
  const first = text
    .replace(/^\uFEFF/, '')
    .replace(/^(?:[^\S\n]*(?:(?:#|\/\/)[^\n]*)?\n)*/, '')
    .trimStart()[0];
  return first === '{' ? 'ndjson' : 'csv';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The "plugin" of a line that is not valid JSON (a torn or hand-edited line), when it is still legible,
 * so the failed record says which plugin the line was meant for.
 */
function rawPluginOf(content: string): string {
  const match = /"plugin"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(content);
  if (!match) return '';
  try {
    return JSON.parse(`"${match[1]}"`) as string;
  } catch {
    return match[1] as string;
  }
}

export function parseNdjson(text: string): BatchEntry[] {
  const entries: BatchEntry[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((rawLine, i) => {
    const line = i + 1;
    const content = rawLine.replace(/\r$/, '').trim();
    if (content === '' || content.startsWith('#') || content.startsWith('//')) return;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (error) {
      entries.push({
        line,
        plugin: rawPluginOf(content),
        problem: { message: `line ${line} is not valid JSON (${(error as Error).message})`, hint: 'Write one JSON object per line: {"plugin":"<id>","params":{...}}' },
      });
      return;
    }
    if (!isPlainObject(value)) {
      entries.push({ line, plugin: '', problem: { message: `line ${line} is not a JSON object`, hint: 'Write {"plugin":"<id>","params":{...}}' } });
      return;
    }
    const plugin = value.plugin;
    if (typeof plugin !== 'string' || plugin.trim() === '') {
      entries.push({ line, plugin: plugin === undefined || plugin === null ? '' : typeof plugin === 'string' ? plugin : JSON.stringify(plugin), problem: { message: `line ${line} has no "plugin"`, hint: 'Add "plugin": "<plugin id>" (see `cancelkit plugins list`).' } });
      return;
    }
    const params = value.params ?? {};
    if (!isPlainObject(params)) {
      entries.push({ line, plugin, problem: { message: `line ${line}: "params" must be an object`, hint: 'Write "params": {"name": value, ...}' } });
      return;
    }
    const extra = Object.keys(value).filter((k) => k !== 'plugin' && k !== 'params');
    if (extra.length > 0) {
      entries.push({
        line,
        plugin,
        problem: { message: `line ${line}: unexpected key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k}"`).join(', ')}`, hint: 'Put every param inside "params".' },
      });
      return;
    }
    const normalized: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(params)) normalized[normalizeKey(k)] = v;
    entries.push({ line, plugin: plugin.trim(), params: normalized });
  });
  return entries;
}

interface CsvRecord {
  line: number;
  fields: string[];
  problem?: string;
}

/** RFC 4180: quoted fields, doubled quotes, separators and newlines inside quotes, CRLF or LF. */
export function parseCsvRecords(text: string): CsvRecord[] {
  const input = text.replace(/^\uFEFF/, '');
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let quotedField = false;
  let line = 1;
  let recordLine = 1;
  let problem: string | undefined;
  const endField = () => {
    fields.push(quotedField ? field : field.trim());
    field = '';
    quotedField = false;
  };
  const endRecord = () => {
    endField();
    const blank = fields.length === 1 && fields[0] === '' && !problem;
    if (!blank) records.push({ line: recordLine, fields, ...(problem ? { problem } : {}) });
    fields = [];
    problem = undefined;
  };
  for (let i = 0; i < input.length; i++) {
    const ch = input[i] as string;
    if (inQuotes) {
      if (ch === '"') {
        if (input[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"') {
      if (field.trim() === '' && !quotedField) {
        field = '';
        inQuotes = true;
        quotedField = true;
      } else problem ??= `a quote inside an unquoted field`;
    } else if (ch === ',') endField();
    else if (ch === '\n') {
      endRecord();
      line++;
      recordLine = line;
    } else if (ch === '\r' && input[i + 1] === '\n') {
      /* CRLF: the \n ends the record */
    } else if (quotedField) {
      if (ch.trim() !== '') problem ??= 'text after a closing quote';
    } else field += ch;
  }
  if (inQuotes) problem = 'a quoted field is not closed';
  if (field !== '' || fields.length > 0 || quotedField || problem) endRecord();
  return records;
}

export function parseCsv(text: string): BatchEntry[] {
  const records = parseCsvRecords(text);
  const header = records.shift();
  if (!header) return [];
  if (header.problem) {
    return [{ line: header.line, plugin: '', problem: { message: `the CSV header (line ${header.line}) is malformed: ${header.problem}` } }];
  }
  const names = header.fields.map(normalizeKey);
  const pluginColumn = names.indexOf('plugin');
  if (pluginColumn < 0) {
    return [
      {
        line: header.line,
        plugin: '',
        problem: { message: 'the CSV has no "plugin" column', hint: 'The first line must name the columns, e.g. plugin,region-id,task-id' },
      },
    ];
  }
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) {
    return [{ line: header.line, plugin: '', problem: { message: `the CSV header names column "${duplicate}" twice` } }];
  }
  // A row of nothing but separators (`,,,`) is how spreadsheets export a blank row: skipped like a blank line.
  const rows = records.filter((record) => record.problem !== undefined || record.fields.some((f) => f.trim() !== ''));
  return rows.map((record): BatchEntry => {
    const plugin = (record.fields[pluginColumn] ?? '').trim();
    if (record.problem) return { line: record.line, plugin, problem: { message: `line ${record.line}: ${record.problem}`, hint: 'Quote fields containing commas or quotes: "a,b" and "say ""hi"""' } };
    if (record.fields.length !== names.length) {
      return {
        line: record.line,
        plugin,
        problem: {
          message: `line ${record.line} has ${record.fields.length} field${record.fields.length === 1 ? '' : 's'}, the header has ${names.length}`,
          hint: 'Quote values that contain commas: "1,2,3".',
        },
      };
    }
    if (plugin === '') return { line: record.line, plugin, problem: { message: `line ${record.line} has an empty plugin column` } };
    const cells: Record<string, string> = {};
    names.forEach((name, i) => {
      if (i !== pluginColumn) cells[name] = record.fields[i] ?? '';
    });
    return { line: record.line, plugin, cells };
  });
}

export function parseBatch(text: string, fileName?: string): BatchEntry[] {
  return detectFormat(text, fileName) === 'csv' ? parseCsv(text) : parseNdjson(text);
}
