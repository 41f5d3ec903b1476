/**
 * The params JSON Schema, checked structurally. Hosts read `paramsSchema` without loading the plugin: the
 * CLI builds its `--flags` from it, `plugins list --json` prints it and the server embeds it in its OpenAPI
 * document. A schema that merely *is an object* is not enough: JSON Schema silently ignores what it does not
 * understand, so `{ type: 'strng' }` or `requried: [...]` would check nothing and no one would notice.
 *
 * No validator library is a dependency of the kit (adding one would pull it into every plugin author's
 * install), so this is a careful walk over the JSON Schema 2020-12 vocabulary (core, applicator,
 * validation, format, content, meta-data) — the dialect `z.toJSONSchema` emits — that also accepts
 * draft-07 and 2019-09 schemas when `$schema` names them.
 */

type Dialect = '2020-12' | '2019-09' | 'draft-07';

const DIALECTS: Readonly<Record<string, Dialect>> = {
  'json-schema.org/draft/2020-12/schema': '2020-12',
  'json-schema.org/draft/2019-09/schema': '2019-09',
  'json-schema.org/draft-07/schema': 'draft-07',
};

export const JSON_SCHEMA_TYPES = ['null', 'boolean', 'object', 'array', 'number', 'string', 'integer'] as const;

/** What a keyword's value must be. */
type Kind =
  | 'schema'
  | 'schemaArray'
  | 'schemaMap'
  | 'patternMap'
  | 'items'
  | 'dependencies'
  | 'dependentRequired'
  | 'type'
  | 'enum'
  | 'stringArray'
  | 'nonNegativeInteger'
  | 'number'
  | 'positiveNumber'
  | 'pattern'
  | 'ref'
  | 'string'
  | 'boolean'
  | 'array'
  | 'any';

const KEYWORDS: Readonly<Record<string, Kind>> = {
  // core
  $schema: 'string',
  $id: 'string',
  $anchor: 'string',
  $dynamicAnchor: 'string',
  $ref: 'ref',
  $dynamicRef: 'string',
  $recursiveRef: 'string',
  $recursiveAnchor: 'boolean',
  $vocabulary: 'any',
  $comment: 'string',
  $defs: 'schemaMap',
  definitions: 'schemaMap',
  // applicator
  allOf: 'schemaArray',
  anyOf: 'schemaArray',
  oneOf: 'schemaArray',
  not: 'schema',
  if: 'schema',
  // biome-ignore lint/suspicious/noThenProperty: `then` is a JSON Schema keyword, not a thenable
  then: 'schema',
  else: 'schema',
  dependentSchemas: 'schemaMap',
  dependencies: 'dependencies',
  prefixItems: 'schemaArray',
  items: 'items',
  additionalItems: 'schema',
  contains: 'schema',
  properties: 'schemaMap',
  patternProperties: 'patternMap',
  additionalProperties: 'schema',
  propertyNames: 'schema',
  unevaluatedItems: 'schema',
  unevaluatedProperties: 'schema',
  // validation
  type: 'type',
  enum: 'enum',
  const: 'any',
  multipleOf: 'positiveNumber',
  maximum: 'number',
  exclusiveMaximum: 'number',
  minimum: 'number',
  exclusiveMinimum: 'number',
  maxLength: 'nonNegativeInteger',
  minLength: 'nonNegativeInteger',
  pattern: 'pattern',
  maxItems: 'nonNegativeInteger',
  minItems: 'nonNegativeInteger',
  uniqueItems: 'boolean',
  maxContains: 'nonNegativeInteger',
  minContains: 'nonNegativeInteger',
  maxProperties: 'nonNegativeInteger',
  minProperties: 'nonNegativeInteger',
  required: 'stringArray',
  dependentRequired: 'dependentRequired',
  // format, content, meta-data
  format: 'string',
  contentEncoding: 'string',
  contentMediaType: 'string',
  contentSchema: 'schema',
  title: 'string',
  description: 'string',
  default: 'any',
  deprecated: 'boolean',
  readOnly: 'boolean',
  writeOnly: 'boolean',
  examples: 'array',
};

/** Lower and upper bounds that no value can satisfy when the lower one exceeds the upper one. */
const BOUNDS: ReadonlyArray<readonly [string, string]> = [
  ['minLength', 'maxLength'],
  ['minItems', 'maxItems'],
  ['minProperties', 'maxProperties'],
  ['minContains', 'maxContains'],
  ['minimum', 'maximum'],
];

/** Not keywords of any JSON Schema dialect but common and harmless (OpenAPI's `example`). */
const TOLERATED = new Set(['example']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Optimal string alignment distance, capped: enough to tell `requried` or `maxLenght` from `required`. */
function closeTo(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      let best = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, ((d[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = best;
    }
  }
  return ((d[a.length] as number[])[b.length] as number) <= 1;
}

/** The keyword an unknown key was probably meant to be: same letters in another case, or one typo away. */
function likelyKeyword(key: string): string | undefined {
  if (TOLERATED.has(key)) return undefined;
  const lower = key.toLowerCase();
  const known = Object.keys(KEYWORDS);
  const sameLetters = known.find((k) => k.toLowerCase() === lower);
  if (sameLetters) return sameLetters;
  // Short keywords (`if`, `not`, `enum`) are too close to ordinary words to guess from one typo.
  if (key.length < 6) return undefined;
  return known.find((k) => k.length >= 6 && closeTo(lower, k.toLowerCase()));
}

function matchesType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'string':
      return typeof value === 'string';
    default:
      return true;
  }
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The `u` flag: JSON Schema patterns are ECMA-262 with Unicode semantics (`\p{Cc}` needs it). */
function regexProblem(source: string): string | undefined {
  try {
    new RegExp(source, 'u');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Resolves a JSON Pointer fragment (`#/$defs/Job`) inside the root schema. */
function resolvePointer(root: unknown, fragment: string): { found: boolean; value?: unknown } {
  if (fragment === '') return { found: true, value: root };
  if (!fragment.startsWith('/')) return { found: false };
  let node: unknown = root;
  for (const raw of fragment.slice(1).split('/')) {
    let token: string;
    try {
      token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    } catch {
      return { found: false };
    }
    if (Array.isArray(node) && /^(0|[1-9]\d*)$/.test(token) && Number(token) < node.length) node = node[Number(token)];
    else if (isObject(node) && Object.hasOwn(node, token)) node = node[token];
    else return { found: false };
  }
  return { found: true, value: node };
}

class SchemaWalker {
  readonly problems: string[] = [];
  readonly #anchors = new Set<string>();
  readonly #visiting = new Set<object>();
  #dialect: Dialect = '2020-12';

  constructor(readonly root: unknown) {}

  run(path: string): string[] {
    if (isObject(this.root) && this.root.$schema !== undefined) {
      const uri = typeof this.root.$schema === 'string' ? this.root.$schema.replace(/^https?:\/\//, '').replace(/#$/, '') : undefined;
      const dialect = uri === undefined ? undefined : DIALECTS[uri];
      if (dialect === undefined) {
        this.problems.push(
          `${path}.$schema ${show(this.root.$schema)} is not a dialect hosts understand: use "https://json-schema.org/draft/2020-12/schema" (what z.toJSONSchema emits) or leave it out`,
        );
      } else this.#dialect = dialect;
    }
    this.#collectAnchors(this.root, new Set());
    this.#schema(this.root, path);
    return this.problems;
  }

  #collectAnchors(node: unknown, seen: Set<object>): void {
    if (typeof node !== 'object' || node === null || seen.has(node)) return;
    seen.add(node);
    if (isObject(node) && typeof node.$anchor === 'string') this.#anchors.add(node.$anchor);
    for (const child of Object.values(node)) this.#collectAnchors(child, seen);
  }

  #schema(node: unknown, path: string): void {
    if (typeof node === 'boolean') return;
    if (!isObject(node)) {
      this.problems.push(`${path} must be a JSON Schema (an object, or true / false), got ${show(node)}`);
      return;
    }
    if (this.#visiting.has(node)) {
      this.problems.push(`${path} refers back to itself: a manifest must be plain JSON (use $defs and $ref for recursion)`);
      return;
    }
    this.#visiting.add(node);
    try {
      for (const [key, value] of Object.entries(node)) {
        const kind = KEYWORDS[key];
        if (kind === undefined) {
          const meant = likelyKeyword(key);
          if (meant !== undefined) {
            this.problems.push(`${path} has "${key}", which is not a JSON Schema keyword (did you mean "${meant}"?); JSON Schema ignores unknown keywords, so it checks nothing`);
          }
          continue;
        }
        this.#keyword(key, kind, value, path);
      }
      this.#crossChecks(node, path);
    } finally {
      this.#visiting.delete(node);
    }
  }

  #keyword(key: string, kind: Kind, value: unknown, path: string): void {
    const at = `${path}.${key}`;
    switch (kind) {
      case 'schema':
        this.#schema(value, at);
        return;
      case 'schemaArray':
        if (!Array.isArray(value) || value.length === 0) this.problems.push(`${at} must be a non-empty array of JSON Schemas`);
        else for (const [i, item] of value.entries()) this.#schema(item, `${at}[${i}]`);
        return;
      case 'schemaMap':
        if (!isObject(value)) this.problems.push(`${at} must be an object whose values are JSON Schemas`);
        else for (const [name, child] of Object.entries(value)) this.#schema(child, `${at}.${name}`);
        return;
      case 'patternMap':
        if (!isObject(value)) {
          this.problems.push(`${at} must be an object mapping regular expressions to JSON Schemas`);
          return;
        }
        for (const [source, child] of Object.entries(value)) {
          const bad = regexProblem(source);
          if (bad !== undefined) this.problems.push(`${at} key ${show(source)} is not a valid regular expression: ${bad}`);
          this.#schema(child, `${at}.${source}`);
        }
        return;
      case 'items':
        if (Array.isArray(value)) {
          // The tuple form was replaced by prefixItems in 2020-12; under 2020-12 rules an array here is invalid.
          if (this.#dialect === '2020-12') this.problems.push(`${at} is an array (the draft-07 tuple form); in JSON Schema 2020-12 use prefixItems for a tuple`);
          else for (const [i, item] of value.entries()) this.#schema(item, `${at}[${i}]`);
        } else this.#schema(value, at);
        return;
      case 'dependencies':
        if (!isObject(value)) {
          this.problems.push(`${at} must be an object of JSON Schemas or arrays of property names`);
          return;
        }
        for (const [name, child] of Object.entries(value)) {
          if (Array.isArray(child)) this.#stringArray(child, `${at}.${name}`);
          else this.#schema(child, `${at}.${name}`);
        }
        return;
      case 'dependentRequired':
        if (!isObject(value)) this.problems.push(`${at} must be an object whose values are arrays of property names`);
        else for (const [name, list] of Object.entries(value)) this.#stringArray(list, `${at}.${name}`);
        return;
      case 'type': {
        const names = typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined;
        if (names === undefined || names.length === 0) {
          this.problems.push(`${at} must be a type name or a non-empty array of them (${JSON_SCHEMA_TYPES.join(', ')}), got ${show(value)}`);
          return;
        }
        for (const name of names) {
          if (!(JSON_SCHEMA_TYPES as readonly unknown[]).includes(name)) {
            this.problems.push(`${at} ${show(name)} is not a JSON Schema type (one of ${JSON_SCHEMA_TYPES.join(', ')})`);
          }
        }
        if (new Set(names).size !== names.length) this.problems.push(`${at} lists a type twice: ${show(value)}`);
        return;
      }
      case 'enum':
        if (!Array.isArray(value) || value.length === 0) this.problems.push(`${at} must be a non-empty array of the allowed values`);
        return;
      case 'stringArray':
        this.#stringArray(value, at);
        return;
      case 'nonNegativeInteger':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) this.problems.push(`${at} must be a non-negative integer, got ${show(value)}`);
        return;
      case 'number':
        if (typeof value === 'boolean' && key.startsWith('exclusive')) {
          this.problems.push(`${at} is a boolean (the draft-04 form); since draft-06 it is the bound itself, e.g. "${key}": 0`);
        } else if (typeof value !== 'number' || !Number.isFinite(value)) this.problems.push(`${at} must be a number, got ${show(value)}`);
        return;
      case 'positiveNumber':
        if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) this.problems.push(`${at} must be a number greater than 0, got ${show(value)}`);
        return;
      case 'pattern': {
        if (typeof value !== 'string') {
          this.problems.push(`${at} must be a regular expression string, got ${show(value)}`);
          return;
        }
        const bad = regexProblem(value);
        if (bad !== undefined) this.problems.push(`${at} ${show(value)} is not a valid regular expression: ${bad}`);
        return;
      }
      case 'ref':
        this.#ref(value, at);
        return;
      case 'string':
        if (typeof value !== 'string') this.problems.push(`${at} must be a string, got ${show(value)}`);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') this.problems.push(`${at} must be true or false, got ${show(value)}`);
        return;
      case 'array':
        if (!Array.isArray(value)) this.problems.push(`${at} must be an array, got ${show(value)}`);
        return;
      case 'any':
        return;
    }
  }

  #stringArray(value: unknown, at: string): void {
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
      this.problems.push(`${at} must be an array of property names`);
      return;
    }
    const duplicates = value.filter((v, i) => value.indexOf(v) !== i);
    if (duplicates.length > 0) this.problems.push(`${at} lists ${show(duplicates[0])} twice`);
  }

  #ref(value: unknown, at: string): void {
    if (typeof value !== 'string') {
      this.problems.push(`${at} must be a URI reference string, got ${show(value)}`);
      return;
    }
    // Hosts read the manifest on its own (no network, no other files): every $ref must resolve inside it.
    if (!value.startsWith('#')) {
      this.problems.push(`${at} ${show(value)} points outside paramsSchema; hosts read the manifest alone, so keep definitions in $defs and refer to them as "#/$defs/<name>"`);
      return;
    }
    const fragment = value.slice(1);
    if (fragment !== '' && !fragment.startsWith('/')) {
      if (!this.#anchors.has(fragment)) this.problems.push(`${at} ${show(value)} names no $anchor in paramsSchema`);
      return;
    }
    const target = resolvePointer(this.root, fragment);
    if (!target.found) this.problems.push(`${at} ${show(value)} does not resolve inside paramsSchema`);
    else if (typeof target.value !== 'boolean' && !isObject(target.value)) this.problems.push(`${at} ${show(value)} points at something that is not a JSON Schema`);
  }

  /** What only makes sense across keywords of one node. */
  #crossChecks(node: Record<string, unknown>, path: string): void {
    const properties = isObject(node.properties) ? node.properties : undefined;
    const patterns = isObject(node.patternProperties)
      ? Object.keys(node.patternProperties).flatMap((source) => (regexProblem(source) === undefined ? [new RegExp(source, 'u')] : []))
      : [];
    // A required name that no property (or property pattern) declares is a typo or a forgotten property:
    // the CLI offers no flag for it, yet every call without it is rejected.
    if (properties && Array.isArray(node.required)) {
      for (const name of node.required) {
        if (typeof name === 'string' && !Object.hasOwn(properties, name) && !patterns.some((p) => p.test(name))) {
          this.problems.push(`${path}.required lists "${name}", which is not in ${path}.properties`);
        }
      }
    }
    const types = typeof node.type === 'string' ? [node.type] : Array.isArray(node.type) ? node.type.filter((t): t is string => typeof t === 'string') : [];
    const fits = (value: unknown) => types.length === 0 || types.some((t) => matchesType(value, t));
    if (Array.isArray(node.enum)) {
      for (const value of node.enum) if (!fits(value)) this.problems.push(`${path}.enum value ${show(value)} is not of ${path}.type ${show(node.type)}`);
    }
    if ('const' in node && !fits(node.const)) this.problems.push(`${path}.const ${show(node.const)} is not of ${path}.type ${show(node.type)}`);
    for (const [low, high] of BOUNDS) {
      const min = node[low];
      const max = node[high];
      if (typeof min === 'number' && typeof max === 'number' && min > max) {
        this.problems.push(`${path}.${low} (${min}) is greater than ${path}.${high} (${max}): no value can satisfy it`);
      }
    }
  }
}

/**
 * Structural problems with a JSON Schema, one sentence each, every path starting with `path`: known
 * keywords with values of the right shape (type names, non-negative lengths, compiling `u`-flag
 * patterns, schemas where schemas belong, recursively through properties, items, $defs and the
 * combinators), `required` names declared in `properties` at every level, `$ref`s that resolve inside
 * the schema, satisfiable bounds, enum / const values of the declared type, and unknown keys that look
 * like a misspelt keyword.
 */
export function checkJsonSchema(schema: unknown, path = 'schema'): string[] {
  return new SchemaWalker(schema).run(path);
}

/**
 * Problems with a manifest's `paramsSchema` and `targetParam`: an object schema (params are an object)
 * whose `properties` hold `targetParam`, valid as a JSON Schema (see `checkJsonSchema`).
 */
export function checkParamsSchema(schema: unknown, targetParam: unknown): string[] {
  if (!isObject(schema)) return ['paramsSchema must be a JSON Schema object (e.g. z.toJSONSchema(paramsSchema, { io: "input" }))'];
  const problems: string[] = [];
  if (schema.type !== undefined && schema.type !== 'object') {
    problems.push(`paramsSchema.type must be "object" (params are an object), got ${show(schema.type)}`);
  }
  const properties = schema.properties;
  if (!isObject(properties)) {
    problems.push('paramsSchema.properties must be an object listing every parameter');
    return problems;
  }
  if (typeof targetParam !== 'string' || targetParam === '') {
    problems.push('targetParam must name the parameter that holds the target id(s)');
  } else if (!Object.hasOwn(properties, targetParam)) {
    problems.push(`targetParam "${targetParam}" is not one of paramsSchema.properties (${Object.keys(properties).join(', ') || 'none'})`);
  }
  problems.push(...checkJsonSchema(schema, 'paramsSchema'));
  return problems;
}
