// loadBundle: real bundle directories on disk, each failure as its exact one-line error.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle, parseJson, jsonErrorOffset } from '../../src/oci/load';
// @ts-expect-error plain ESM script without types
import { defaultConfig } from '../../scripts/mkbundle.mjs';

const ROOT = path.resolve(__dirname, '../..');
let tmp: string;

beforeAll(() => {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/gen-validators.mjs')], { stdio: 'inherit' });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-load-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function bundle(name: string, config: string | object | null, rootfs = true): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  if (rootfs) fs.mkdirSync(path.join(dir, 'rootfs'), { recursive: true });
  if (config !== null) fs.writeFileSync(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return dir;
}

const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect((e as Error).name).toBe('TsrunError');
    return (e as Error).message;
  }
  throw new Error('did not throw');
};

describe('loadBundle', () => {
  it('loads the mkbundle config with absolute paths', () => {
    const dir = bundle('ok', defaultConfig(['sh']));
    const rel = path.relative(process.cwd(), dir);
    const b = loadBundle(rel);
    expect(b.bundleDir).toBe(dir);
    expect(b.rootfs).toBe(fs.realpathSync(path.join(dir, 'rootfs')));
    expect(b.spec.process?.args).toEqual(['sh']);
  });
  it('resolves a symlinked rootfs', () => {
    const dir = bundle('link', { ...defaultConfig(['sh']), root: { path: 'rootlink' } });
    fs.symlinkSync('rootfs', path.join(dir, 'rootlink'));
    expect(loadBundle(dir).rootfs).toBe(fs.realpathSync(path.join(dir, 'rootfs')));
  });
  it('bundle missing', () => {
    expect(errorOf(() => loadBundle(path.join(tmp, 'absent')))).toBe(`bundle ${tmp}/absent: does not exist`);
  });
  it('bundle is a file', () => {
    fs.writeFileSync(path.join(tmp, 'file'), '');
    expect(errorOf(() => loadBundle(path.join(tmp, 'file')))).toBe(`bundle ${tmp}/file: is not a directory`);
  });
  it('config.json missing', () => {
    const dir = bundle('noconfig', null);
    expect(errorOf(() => loadBundle(dir))).toBe(`config.json: not found in bundle ${dir} (create one with "tsrun spec")`);
  });
  it('malformed JSON: line and column', () => {
    const dir = bundle('badjson', '{\n  "ociVersion": "1.2.0"\n  "root": {}\n}\n');
    expect(errorOf(() => loadBundle(dir))).toBe(`config.json:3:3: invalid JSON: Expected ',' or '}' after property value`);
  });
  it('malformed JSON without a V8 position', () => {
    const dir = bundle('badjson2', '{\n  "ociVersion": tru\n}');
    expect(errorOf(() => loadBundle(dir))).toBe(`config.json:2:20: invalid JSON: Unexpected token '\\n'`);
  });
  it('empty config.json', () => {
    const dir = bundle('empty', '');
    expect(errorOf(() => loadBundle(dir))).toBe('config.json:1:1: invalid JSON: Unexpected end of JSON input');
  });
  it('schema error', () => {
    const c = defaultConfig(['sh']);
    c.process.args = 'sh';
    expect(errorOf(() => loadBundle(bundle('schema', c)))).toBe('config.json: /process/args: must be array');
  });
  it('semantic error', () => {
    const c = defaultConfig(['sh']);
    c.linux.namespaces.push({ type: 'pid' });
    expect(errorOf(() => loadBundle(bundle('semantic', c)))).toBe('config.json: /linux/namespaces/6: duplicate namespace type "pid"');
  });
  it('rootfs missing', () => {
    const dir = bundle('norootfs', defaultConfig(['sh']), false);
    expect(errorOf(() => loadBundle(dir))).toBe(`config.json: /root/path: "${dir}/rootfs": does not exist`);
  });
  it('passes warnings on', () => {
    const c = defaultConfig(['sh']);
    c.mounts.push({ destination: 'mnt', type: 'tmpfs', source: 'tmpfs' });
    const warnings: string[] = [];
    loadBundle(bundle('warn', c), { warn: (w) => warnings.push(w) });
    expect(warnings).toEqual(['config.json: /mounts/7/destination: "mnt" is not absolute; using "/mnt"']);
  });
});

describe('JSON error positions', () => {
  const cases: [string, number][] = [
    ['{"a": 1,}', 8],
    ['{"a" 1}', 5],
    ['{"a": 1', 7],
    ['', 0],
    ['x', 0],
    ['{"a":tru}', 8],
    ['[1,2', 4],
    ['{"a":"b\n"}', 7],
    ['{"a":"\\x"}', 7],
    ['{"a":"\\u12g4"}', 10],
    ['{"a":01}', 6],
    ['{"a":-}', 5],
    ['{} x', 3],
    ['{"a":[1,{"b":null}],"c":true}', -1],
  ];
  for (const [text, want] of cases) {
    it(JSON.stringify(text), () => {
      expect(jsonErrorOffset(text)).toBe(want);
      if (want >= 0) {
        expect(() => JSON.parse(text)).toThrow();
        expect(errorOf(() => parseJson(text, 'f.json'))).not.toMatch(/[\n\r]/);
      }
    });
  }
  it('counts lines and columns from 1', () => {
    expect(errorOf(() => parseJson('[\n\n   ,]', 'f.json'))).toMatch(/^f\.json:3:4: invalid JSON: /);
  });
});
