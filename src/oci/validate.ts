// Schema validation of config.json, state and features documents with the ajv validators
// precompiled by scripts/gen-validators.mjs (no ajv compiler at run time). A failure is one
// line: "<file>: <JSON pointer>: <rule>", plus how many other problems were found.
import { TsrunError } from '../common/errors';
import type { Process, Spec, State } from './types';

/** The subset of an ajv ErrorObject that the message is built from. */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  propertyName?: string;
}

type Validator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

type Name = 'config' | 'state' | 'features' | 'process';
const cache: Partial<Record<Name, Validator>> = {};

// One literal require per validator: esbuild bundles each, and they load only when used.
function load(name: Name): Validator {
  const hit = cache[name];
  if (hit) return hit;
  let v: Validator;
  try {
    if (name === 'config') v = require('./generated/config.js') as Validator;
    else if (name === 'state') v = require('./generated/state.js') as Validator;
    else if (name === 'process') v = require('./generated/process.js') as Validator;
    else v = require('./generated/features.js') as Validator;
  } catch {
    throw new TsrunError(`${name} schema validator missing: run "node scripts/gen-validators.mjs"`);
  }
  cache[name] = v;
  return v;
}

function escapePointerToken(t: string): string {
  return t.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Keywords that only summarise errors reported in more detail elsewhere. */
const SUMMARY = new Set(['if', 'anyOf', 'oneOf', 'allOf', 'propertyNames']);

/** Pointer of the value the error is about (for `required`, the missing member itself). */
function pointerOf(e: SchemaError): string {
  if (e.keyword === 'required' && typeof e.params.missingProperty === 'string') {
    return `${e.instancePath}/${escapePointerToken(e.params.missingProperty)}`;
  }
  return e.instancePath;
}

function ruleOf(e: SchemaError): string {
  const p = e.params;
  switch (e.keyword) {
    case 'required':
      return 'must be present';
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : (e.message ?? 'is too short');
    case 'minItems':
      return p.limit === 1 ? 'must not be empty' : (e.message ?? 'has too few items');
    case 'pattern':
      return `must match ${String(p.pattern)}`;
    default:
      return e.message ?? `fails "${e.keyword}"`;
  }
}

function depth(ptr: string): number {
  return ptr === '' ? 0 : ptr.split('/').length - 1;
}

/**
 * Build the one-line message for a failed validation: the most specific error (deepest
 * pointer, first in schema order on ties) and a count of the other distinct problems.
 */
export function formatSchemaErrors(file: string, errors: readonly SchemaError[]): string {
  let useful = errors.filter((e) => !SUMMARY.has(e.keyword));
  if (useful.length === 0) useful = [...errors];
  const seen = new Set<string>();
  const distinct = useful.filter((e) => {
    const key = `${pointerOf(e)}\0${e.keyword}\0${e.propertyName ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (distinct.length === 0) return `${file}: does not match the schema`;
  let best = distinct[0];
  for (const e of distinct) if (depth(pointerOf(e)) > depth(pointerOf(best))) best = e;
  const ptr = pointerOf(best);
  let line = `${file}: ${ptr === '' ? '(root)' : ptr}: `;
  // An error inside propertyNames is about a key of the object, not a value.
  if (best.propertyName !== undefined) line += `key ${JSON.stringify(best.propertyName)}: `;
  line += ruleOf(best);
  const others = distinct.length - 1;
  if (others > 0) line += ` (and ${others} more error${others === 1 ? '' : 's'})`;
  return line;
}

function run(name: Name, file: string, doc: unknown): void {
  const v = load(name);
  if (!v(doc)) throw new TsrunError(formatSchemaErrors(file, v.errors ?? []));
}

/** Check a parsed config.json against the runtime-spec 1.2 schema. */
export function validateConfig(config: unknown, file = 'config.json'): asserts config is Spec {
  run('config', file, config);
}

/** Check a container state document (what `state` prints, what hooks get on stdin). */
export function validateState(state: unknown, file = 'state.json'): asserts state is State {
  run('state', file, state);
}

/** Check a features document (what `features` prints). */
export function validateFeatures(doc: unknown, file = 'features.json'): void {
  run('features', file, doc);
}

/** Check a process document (`exec --process FILE`) against config.json's process schema. */
export function validateProcess(doc: unknown, file: string): asserts doc is Process {
  run('process', file, doc);
}
