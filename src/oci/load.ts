// Read a bundle: its directory, config.json (JSON errors with line:column), then the schema
// and the semantic checks. What create/run call before anything touches the system.
import fs from 'node:fs';
import path from 'node:path';
import { TsrunError, fsError } from '../common/errors';
import { readJsonFile } from '../common/read-input';
import type { Spec } from './types';
import { validateConfig } from './validate';
import { checkConfig, type CheckOptions } from './semantic';

export interface Bundle {
  spec: Spec;
  /** Absolute bundle directory. */
  bundleDir: string;
  /** Absolute, symlink-free path of root.path resolved against the bundle. */
  rootfs: string;
}

/** Load and check `<bundle>/config.json`; `bundle` may be relative to the cwd. */
export function loadBundle(bundle: string, opts: CheckOptions = {}): Bundle {
  const bundleDir = path.resolve(bundle);
  let st: fs.Stats;
  try {
    st = fs.statSync(bundleDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new TsrunError(`bundle ${bundleDir}: does not exist`);
    throw fsError(`bundle ${bundleDir}`, err);
  }
  if (!st.isDirectory()) throw new TsrunError(`bundle ${bundleDir}: is not a directory`);

  const configPath = path.join(bundleDir, 'config.json');
  const text = readConfig(configPath, bundleDir);
  const spec: unknown = parseJson(text, 'config.json');
  validateConfig(spec);
  checkConfig(spec, bundleDir, opts);
  const rootfs = fs.realpathSync(path.resolve(bundleDir, spec.root!.path));
  return { spec, bundleDir, rootfs };
}

/** config.json through readJsonFile (a regular file of sane size), ENOENT explained. */
function readConfig(configPath: string, bundleDir: string): string {
  try {
    return readJsonFile(configPath, 'config.json: ');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TsrunError(`config.json: not found in bundle ${bundleDir} (create one with "tsrun spec")`);
    }
    throw err;
  }
}

/** JSON.parse with a one-line error "<file>:<line>:<column>: invalid JSON: <reason>". */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const offset = jsonErrorOffset(text);
    const { line, column } = lineColumn(text, offset < 0 ? text.length : offset);
    // V8's reason without its "at position N" / quoted-input suffixes.
    const reason = String((err as Error).message)
      .replace(/ in JSON at position \d+.*$/, '')
      .replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '')
      // keep the line one line: V8 quotes the offending character raw (e.g. a newline)
      .replace(/[\u0000-\u001f]/g, (c) => JSON.stringify(c).slice(1, -1));
    throw new TsrunError(`${file}:${line}:${column}: invalid JSON: ${reason}`);
  }
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/**
 * Offset of the first character that makes `s` invalid JSON (RFC 8259), or -1.
 * Only run after JSON.parse failed: V8 does not always report a position.
 */
export function jsonErrorOffset(s: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const ws = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  };
  const word = (w: string) => {
    for (let k = 0; k < w.length; k++, i++) if (s[i] !== w[k]) fail();
  };
  const str = () => {
    i++; // opening quote
    for (;;) {
      if (i >= s.length) fail();
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail();
      if (c === 0x5c) {
        i++;
        if (s[i] === 'u') {
          for (let k = 1; k <= 4; k++) {
            if (!/[0-9a-fA-F]/.test(s[i + k] ?? '')) {
              i += k;
              fail();
            }
          }
          i += 5;
        } else if (i < s.length && '"\\/bfnrt'.includes(s[i])) i++;
        else fail();
      } else i++;
    }
  };
  const num = () => {
    const re = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m || m[0] === '' || m[0] === '-') fail();
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      ws();
      if (s[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (s[i] !== '"') fail();
        str();
        ws();
        if (s[i] !== ':') fail();
        i++;
        value();
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === '}') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (s[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === ']') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '"') str();
    else if (c === 't') word('true');
    else if (c === 'f') word('false');
    else if (c === 'n') word('null');
    else num();
  };
  try {
    value();
    ws();
    if (i < s.length) fail();
    return -1;
  } catch (e) {
    if (typeof e === 'number') return e;
    throw e;
  }
}
