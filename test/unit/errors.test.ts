import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode, TsrunError, fsError } from '../../src/common/errors';
import { checkConfig } from '../../src/oci/semantic';
import { parseJson } from '../../src/oci/load';
import { Store } from '../../src/runtime/store';
import { requireStatus } from '../../src/runtime/lifecycle';

function caught(fn: () => unknown): TsrunError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TsrunError);
    return err as TsrunError;
  }
  throw new Error('did not throw');
}

describe('TsrunError: code, pointer, errno', () => {
  it('config errors carry the JSON pointer and the config code', () => {
    const spec = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures/configs/runc-spec.json'), 'utf8'));
    spec.process.rlimits = [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }];
    const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-err-'));
    fs.mkdirSync(path.join(bundle, 'rootfs'));
    const e = caught(() => checkConfig(spec, bundle));
    fs.rmSync(bundle, { recursive: true });
    expect(e.code).toBe(ErrorCode.Config);
    expect(e.message).toMatch(/^config\.json: \/process\/rlimits\/0\/type: /);
    expect(e.pointer).toBe('/process/rlimits/0/type');
    expect(e.errno).toBeUndefined();
  });
  it('invalid JSON is a config error without a pointer', () => {
    const e = caught(() => parseJson('{\n  "a": }', 'config.json'));
    expect(e.message).toMatch(/^config\.json:2:8: invalid JSON/);
    expect(e.code).toBe(ErrorCode.Config);
    expect(e.pointer).toBeUndefined();
  });
  it('fs errors keep their line and carry the errno name', () => {
    const e = caught(() => {
      try {
        fs.readFileSync('/nonexistent/x');
      } catch (err) {
        throw fsError('read /nonexistent/x', err);
      }
    });
    expect(e.message).toBe('read /nonexistent/x: ENOENT (no such file or directory)');
    expect(e.code).toBe(ErrorCode.Syscall);
    expect(e.errno).toBe('ENOENT');
    // A path that looks like a pointer is not one.
    const e2 = fsError('config.json: /b/config.json', Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES' }));
    expect(e2.pointer).toBeUndefined();
    expect(e2.code).toBe(ErrorCode.Syscall);
  });
  it('errors from the shim (text only) get their errno from the line', () => {
    const e = new TsrunError('mount proc proc on /proc: EPERM (Operation not permitted)');
    expect([e.code, e.errno, e.pointer]).toEqual([ErrorCode.Syscall, 'EPERM', undefined]);
    expect(JSON.parse(JSON.stringify(e))).toEqual({ name: 'TsrunError', message: e.message, code: 'syscall', errno: 'EPERM' });
  });
  it('store and lifecycle errors have their own codes', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-err-'));
    try {
      const store = new Store(root);
      expect(caught(() => store.load('nope')).code).toBe(ErrorCode.NotFound);
      expect(caught(() => Store.validateId('../x')).code).toBe(ErrorCode.Usage);
      store.reserve('dup');
      expect(caught(() => store.reserve('dup')).code).toBe(ErrorCode.Exists);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
    const e = caught(() => requireStatus('start', 'stopped', 'x'));
    expect([e.code, e.message]).toEqual([ErrorCode.BadStatus, 'cannot start a container that has stopped']);
  });
  it('the exit code is still the second argument where callers give a number', () => {
    expect(new TsrunError('x', 3).exitCode).toBe(3);
    expect(new TsrunError('x').exitCode).toBe(1);
  });
});
