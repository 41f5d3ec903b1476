/**
 * Plugin params as command-line flags, derived from the manifest's JSON Schema only (no plugin code):
 * `taskId` → `--task-id`, arrays take comma-separated values (`--ids 1,2,3`) or a repeated flag,
 * numbers and booleans are converted, anything else is passed as text for the plugin's own `parse`.
 * The same coercion serves CSV batch cells.
 */
import type { InputIssue, JsonSchema, PluginManifest } from '@cancelkit/core/plugin';
import { toCamelCase, toKebabCase } from '@cancelkit/core/plugin';

export type ParamKind = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'json';

export interface ParamFlag {
  /** Manifest (camelCase) name. */
  readonly name: string;
  /** Flag name without dashes (kebab-case). */
  readonly flag: string;
  readonly kind: ParamKind;
  /** Item kind for arrays. */
  readonly itemKind: ParamKind;
  readonly required: boolean;
  readonly description?: string;
  readonly enumValues?: readonly unknown[];
  readonly defaultValue?: unknown;
  /** The target param (the id(s) being cancelled). */
  readonly isTarget: boolean;
}

type SchemaNode = Readonly<Record<string, unknown>>;

function asNode(value: unknown): SchemaNode | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as SchemaNode) : undefined;
}

function alternatives(node: SchemaNode): SchemaNode[] {
  const out: SchemaNode[] = [];
  for (const key of ['anyOf', 'oneOf']) {
    const list = node[key];
    if (Array.isArray(list)) for (const alt of list) if (asNode(alt)) out.push(asNode(alt) as SchemaNode);
  }
  return out;
}

function typesOf(node: SchemaNode): string[] {
  const type = node.type;
  const own = typeof type === 'string' ? [type] : Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : [];
  return [...own, ...alternatives(node).flatMap(typesOf)].filter((t) => t !== 'null');
}

function kindOf(node: SchemaNode | undefined): ParamKind {
  if (!node) return 'string';
  const types = typesOf(node);
  // A value that may be a list is taken as a list: `--ids a,b` must work whatever else the schema allows.
  if (types.includes('array')) return 'array';
  if (types.includes('string')) return 'string';
  if (types.includes('integer')) return 'integer';
  if (types.includes('number')) return 'number';
  if (types.includes('boolean')) return 'boolean';
  if (types.includes('object')) return 'json';
  if (Array.isArray(node.enum) && node.enum.every((v) => typeof v === 'number')) return 'number';
  return 'string';
}

function itemsOf(node: SchemaNode): SchemaNode | undefined {
  const direct = asNode(node.items);
  if (direct) return direct;
  for (const alt of alternatives(node)) {
    const found = itemsOf(alt);
    if (found) return found;
  }
  return undefined;
}

function describe(node: SchemaNode | undefined): string | undefined {
  if (!node) return undefined;
  if (typeof node.description === 'string') return node.description;
  for (const alt of alternatives(node)) {
    const d = describe(alt);
    if (d) return d;
  }
  return undefined;
}

/** The flags of one plugin, in the schema's property order (required first). */
export function paramFlags(manifest: Pick<PluginManifest, 'paramsSchema' | 'targetParam'>): ParamFlag[] {
  const schema: JsonSchema = manifest.paramsSchema;
  const properties = asNode(schema.properties) ?? {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : []);
  const flags = Object.entries(properties).map(([name, raw]): ParamFlag => {
    const node = asNode(raw);
    const kind = kindOf(node);
    const items = node && kind === 'array' ? itemsOf(node) : undefined;
    const description = describe(node);
    return {
      name,
      flag: toKebabCase(name),
      kind,
      itemKind: kind === 'array' ? kindOf(items) : kind,
      required: required.has(name),
      ...(description !== undefined ? { description } : {}),
      ...(node && Array.isArray(node.enum) ? { enumValues: node.enum } : {}),
      ...(node && 'default' in node ? { defaultValue: node.default } : {}),
      isTarget: name === manifest.targetParam,
    };
  });
  return flags.sort((a, b) => Number(b.required) - Number(a.required));
}

/** Converts one textual value to the param's kind; returns an issue for a value that cannot be. */
function convertScalar(text: string, kind: ParamKind, flag: ParamFlag): { value?: unknown; issue?: InputIssue } {
  const field = flag.name;
  if (kind === 'integer' || kind === 'number') {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || (kind === 'integer' && !Number.isInteger(n))) {
      return { issue: { field, message: `"${text}" is not ${kind === 'integer' ? 'an integer' : 'a number'}`, hint: `pass --${flag.flag} <${kind}>` } };
    }
    return { value: n };
  }
  if (kind === 'boolean') {
    const t = text.trim().toLowerCase();
    if (['true', '1', 'yes'].includes(t)) return { value: true };
    if (['false', '0', 'no'].includes(t)) return { value: false };
    return { issue: { field, message: `"${text}" is not true or false` } };
  }
  if (kind === 'json') {
    try {
      return { value: JSON.parse(text) as unknown };
    } catch {
      return { issue: { field, message: 'is not valid JSON', hint: `pass --${flag.flag} '{"key":"value"}'` } };
    }
  }
  return { value: text };
}

/**
 * Raw textual values (from flags or CSV cells) → a params object. Arrays split every value on commas;
 * empty strings are treated as absent.
 */
export function coerceParams(
  flags: readonly ParamFlag[],
  raw: Readonly<Record<string, string | boolean | readonly (string | boolean)[] | undefined>>,
): { params: Record<string, unknown>; issues: InputIssue[] } {
  const params: Record<string, unknown> = {};
  const issues: InputIssue[] = [];
  for (const flag of flags) {
    const value = raw[flag.name];
    if (value === undefined) continue;
    const values = (Array.isArray(value) ? value : [value]) as (string | boolean)[];
    if (flag.kind === 'boolean') {
      const last = values[values.length - 1];
      if (typeof last === 'boolean') params[flag.name] = last;
      else if (last !== undefined && last !== '') {
        const r = convertScalar(last, 'boolean', flag);
        if (r.issue) issues.push(r.issue);
        else params[flag.name] = r.value;
      }
      continue;
    }
    const texts = values.map(String);
    if (flag.kind === 'array') {
      const items = texts.flatMap((t) => t.split(',')).map((t) => t.trim()).filter((t) => t.length > 0);
      if (items.length === 0) continue;
      const converted: unknown[] = [];
      for (const item of items) {
        const r = convertScalar(item, flag.itemKind === 'array' ? 'string' : flag.itemKind, flag);
        if (r.issue) issues.push(r.issue);
        else converted.push(r.value);
      }
      params[flag.name] = converted;
      continue;
    }
    if (texts.length > 1) {
      issues.push({ field: flag.name, message: 'was given more than once', hint: `pass --${flag.flag} once` });
      continue;
    }
    const text = texts[0] ?? '';
    if (text === '') continue;
    const r = convertScalar(text, flag.kind, flag);
    if (r.issue) issues.push(r.issue);
    else params[flag.name] = r.value;
  }
  return { params, issues };
}

/** Required params absent from `params`, as issues naming the flag. */
export function missingRequired(flags: readonly ParamFlag[], params: Readonly<Record<string, unknown>>): InputIssue[] {
  return flags
    .filter((f) => f.required && (params[f.name] === undefined || params[f.name] === ''))
    .map((f) => ({ field: f.name, message: 'is required', hint: `pass --${f.flag} <${f.kind === 'array' ? `${f.itemKind},…` : f.kind}>` }));
}

/** Column / key names in batch files may be kebab-case or camelCase. */
export function normalizeKey(key: string): string {
  return toCamelCase(key.trim());
}

/** Turns an issue's field into the flag the user typed (`taskId` → `--task-id`). */
export function flagOfField(field: string, flags: readonly ParamFlag[]): string {
  const [head = field, ...rest] = field.split('.');
  const flag = flags.find((f) => f.name === head);
  const name = flag ? `--${flag.flag}` : head ? `--${toKebabCase(head)}` : 'params';
  // `ids.2` is the third value of --ids, as the user typed it.
  const index = rest.length === 1 && /^\d+$/.test(rest[0] as string) ? ` (value ${Number(rest[0]) + 1})` : rest.length > 0 ? `.${rest.join('.')}` : '';
  return `${name}${index}`;
}

/** Renders a params object as command-line flags (for `--help` examples and the demo). */
export function paramsToArgs(params: Readonly<Record<string, unknown>>): string[] {
  const args: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    const flag = `--${toKebabCase(name)}`;
    if (typeof value === 'boolean') args.push(value ? flag : `--no-${toKebabCase(name)}`);
    else if (Array.isArray(value)) args.push(flag, value.map(String).join(','));
    else if (typeof value === 'object') args.push(flag, JSON.stringify(value));
    else args.push(flag, String(value));
  }
  return args;
}

/** Quotes an argument for a POSIX shell when needed. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * An InvalidInput message as the CLI user should read it: plugins name params by their schema field
 * (`projectId: no project id is known…`), but the user typed flags, so each issue's field at the start of
 * the message (or of one of its `; `-separated parts) becomes the flag (`--project-id: …`).
 */
export function messageWithFlags(message: string, issues: readonly Pick<InputIssue, 'field'>[], flags: readonly ParamFlag[]): string {
  let out = message;
  const fields = [...new Set(issues.map((i) => i.field).filter((f) => f !== '' && !f.startsWith('-')))].sort((a, b) => b.length - a.length);
  for (const field of fields) {
    out = out.replace(new RegExp(`(^|; )${escapeRegExp(field)}(?=[: ]|$)`, 'g'), (_m, lead: string) => `${lead}${flagOfField(field, flags)}`);
  }
  return out;
}
