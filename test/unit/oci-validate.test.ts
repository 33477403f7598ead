// Schema validation of config.json samples: exact one-line errors with JSON pointers, and
// agreement with the upstream runtime-spec 1.0.2 schemas shipped by Debian.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import Ajv from 'ajv';
import { validateConfig, validateState, formatSchemaErrors } from '../../src/oci/validate';
import { defaultSpec } from '../../src/oci/spec-default';
// @ts-expect-error plain ESM script without types
import { defaultConfig } from '../../scripts/mkbundle.mjs';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(__dirname, 'fixtures/configs');
const UPSTREAM = '/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema';

type Doc = Record<string, any>;
const fixture = (name: string): Doc => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

beforeAll(() => {
  // globalSetup belongs to others: make sure the precompiled validators exist (idempotent, fast).
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/gen-validators.mjs')], { stdio: 'inherit' });
});

const VALID: Record<string, () => Doc> = {
  'runc spec (1.1.5)': () => fixture('runc-spec.json'),
  'runc spec --rootless (1.1.5)': () => fixture('runc-spec-rootless.json'),
  'scripts/mkbundle.mjs config': () => defaultConfig(['sh']),
  'tsrun spec': () => defaultSpec({ rootless: false }),
  'tsrun spec --rootless': () => defaultSpec({ rootless: true }),
  'full 1.2 sample': () => fixture('full-1.2.json'),
  'minimal (only ociVersion)': () => ({ ociVersion: '1.0.0' }),
  'unknown fields and annotations': () => ({
    ociVersion: '1.2.0',
    futureField: { x: 1 },
    process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 }, extra: true },
    annotations: { 'org.example.key': 'v', 'io.x': '' },
    linux: { futureLinux: [1, 2], namespaces: [{ type: 'pid', extra: 1 }] },
  }),
  'device type p without major/minor': () => ({ ociVersion: '1.0.0', linux: { devices: [{ type: 'p', path: '/dev/fifo' }] } }),
  'memory limit -1': () => ({ ociVersion: '1.0.0', linux: { resources: { memory: { limit: -1, swap: -1 } } } }),
};

/** [name, mutation of the runc spec, exact message, does upstream 1.0.2 also reject it?] */
const INVALID: [string, (c: Doc) => unknown, string, boolean][] = [
  ['not an object', () => [], 'config.json: (root): must be object', true],
  ['ociVersion missing', (c) => { delete c.ociVersion; }, 'config.json: /ociVersion: must be present', true],
  ['ociVersion a number', (c) => { c.ociVersion = 1; }, 'config.json: /ociVersion: must be string', true],
  ['root.path missing', (c) => { delete c.root.path; }, 'config.json: /root/path: must be present', true],
  ['root.readonly a string', (c) => { c.root.readonly = 'yes'; }, 'config.json: /root/readonly: must be boolean', true],
  ['process.args a string', (c) => { c.process.args = 'sh'; }, 'config.json: /process/args: must be array', true],
  ['process.args item a number', (c) => { c.process.args = ['sh', 1]; }, 'config.json: /process/args/1: must be string', true],
  ['process.cwd missing', (c) => { delete c.process.cwd; }, 'config.json: /process/cwd: must be present', true],
  ['process.terminal a string', (c) => { c.process.terminal = 'true'; }, 'config.json: /process/terminal: must be boolean', true],
  ['uid negative', (c) => { c.process.user.uid = -1; }, 'config.json: /process/user/uid: must be >= 0', true],
  ['gid fractional', (c) => { c.process.user.gid = 1.5; }, 'config.json: /process/user/gid: must be integer', true],
  ['uid beyond uint32', (c) => { c.process.user.uid = 4294967296; }, 'config.json: /process/user/uid: must be <= 4294967295', true],
  ['additionalGids item a string', (c) => { c.process.user.additionalGids = ['5']; }, 'config.json: /process/user/additionalGids/0: must be integer', true],
  ['env not strings', (c) => { c.process.env = [{ A: 1 }]; }, 'config.json: /process/env/0: must be string', true],
  ['rlimit soft negative', (c) => { c.process.rlimits[0].soft = -5; }, 'config.json: /process/rlimits/0/soft: must be >= 0', true],
  ['rlimit hard missing', (c) => { delete c.process.rlimits[0].hard; }, 'config.json: /process/rlimits/0/hard: must be present', true],
  ['capabilities.bounding an object', (c) => { c.process.capabilities.bounding = {}; }, 'config.json: /process/capabilities/bounding: must be array', true],
  ['consoleSize missing width', (c) => { c.process.consoleSize = { height: 10 }; }, 'config.json: /process/consoleSize/width: must be present', true],
  ['oomScoreAdj fractional', (c) => { c.process.oomScoreAdj = 0.5; }, 'config.json: /process/oomScoreAdj: must be integer', true],
  ['mount destination missing', (c) => { delete c.mounts[2].destination; }, 'config.json: /mounts/2/destination: must be present', true],
  ['mount options a string', (c) => { c.mounts[1].options = 'ro'; }, 'config.json: /mounts/1/options: must be array', true],
  ['mounts an object', (c) => { c.mounts = {}; }, 'config.json: /mounts: must be array', true],
  ['hook path missing', (c) => { c.hooks = { prestart: [{ args: [] }] }; }, 'config.json: /hooks/prestart/0/path: must be present', true],
  ['hook timeout zero', (c) => { c.hooks = { poststop: [{ path: '/bin/true', timeout: 0 }] }; }, 'config.json: /hooks/poststop/0/timeout: must be >= 1', true],
  ['annotation value a number', (c) => { c.annotations = { 'a.b': 1 }; }, 'config.json: /annotations/a.b: must be string', true],
  ['annotation key with slash', (c) => { c.annotations = { 'a/b': true }; }, 'config.json: /annotations/a~1b: must be string', true],
  ['hostname a number', (c) => { c.hostname = 7; }, 'config.json: /hostname: must be string', true],
  ['bad namespace type', (c) => { c.linux.namespaces.push({ type: 'foo' }); },
    'config.json: /linux/namespaces/5/type: must be one of "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"', true],
  ['namespace without type', (c) => { c.linux.namespaces.push({ path: '/proc/1/ns/pid' }); }, 'config.json: /linux/namespaces/5/type: must be present', true],
  ['uidMappings size missing', (c) => { c.linux.uidMappings = [{ containerID: 0, hostID: 1000 }]; }, 'config.json: /linux/uidMappings/0/size: must be present', true],
  ['uidMappings hostID negative', (c) => { c.linux.uidMappings = [{ containerID: 0, hostID: -1, size: 1 }]; }, 'config.json: /linux/uidMappings/0/hostID: must be >= 0', true],
  ['device rule allow missing', (c) => { c.linux.resources.devices = [{ access: 'rwm' }]; }, 'config.json: /linux/resources/devices/0/allow: must be present', true],
  ['device type bad', (c) => { c.linux.devices = [{ type: 'x', path: '/dev/x', major: 1, minor: 1 }]; },
    'config.json: /linux/devices/0/type: must be one of "c", "b", "u", "p"', true],
  ['device path missing', (c) => { c.linux.devices = [{ type: 'c', major: 1, minor: 1 }]; }, 'config.json: /linux/devices/0/path: must be present', true],
  ['memory limit a string', (c) => { c.linux.resources.memory = { limit: '1G' }; }, 'config.json: /linux/resources/memory/limit: must be integer', true],
  ['cpu shares negative', (c) => { c.linux.resources.cpu = { shares: -2 }; }, 'config.json: /linux/resources/cpu/shares: must be >= 0', true],
  ['pids limit missing', (c) => { c.linux.resources.pids = {}; }, 'config.json: /linux/resources/pids/limit: must be present', true],
  ['blkio weight too big', (c) => { c.linux.resources.blockIO = { weight: 70000 }; }, 'config.json: /linux/resources/blockIO/weight: must be <= 65535', true],
  ['throttle rate missing', (c) => { c.linux.resources.blockIO = { throttleReadBpsDevice: [{ major: 8, minor: 0 }] }; },
    'config.json: /linux/resources/blockIO/throttleReadBpsDevice/0/rate: must be present', false], // the 1.0.2 schema does not require rate
  ['hugepage limit missing', (c) => { c.linux.resources.hugepageLimits = [{ pageSize: '2MB' }]; },
    'config.json: /linux/resources/hugepageLimits/0/limit: must be present', true],
  ['sysctl value a number', (c) => { c.linux.sysctl = { 'net.ipv4.ip_forward': 1 }; }, 'config.json: /linux/sysctl/net.ipv4.ip_forward: must be string', true],
  ['seccomp defaultAction missing', (c) => { c.linux.seccomp = { syscalls: [] }; }, 'config.json: /linux/seccomp/defaultAction: must be present', true],
  ['seccomp bad action', (c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'NOPE' }] }; },
    'config.json: /linux/seccomp/syscalls/0/action: must be one of "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"', true],
  ['maskedPaths item a number', (c) => { c.linux.maskedPaths.push(3); }, 'config.json: /linux/maskedPaths/10: must be string', true],
  ['two errors counted', (c) => { c.process.args = 'sh'; c.hostname = 1; }, 'config.json: /process/args: must be array (and 1 more error)', true],
  // 1.2-only rules: upstream 1.0.2 has no such constraint, so no agreement expected.
  ['empty annotation key', (c) => { c.annotations = { '': 'x' }; }, 'config.json: /annotations: key "": must not be empty', false],
  ['char device without major', (c) => { c.linux.devices = [{ type: 'c', path: '/dev/x', minor: 1 }]; }, 'config.json: /linux/devices/0/major: must be present', false],
  ['ioPriority bad class', (c) => { c.process.ioPriority = { class: 'RT', priority: 0 }; },
    'config.json: /process/ioPriority/class: must be one of "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"', false],
  ['scheduler policy missing', (c) => { c.process.scheduler = { nice: 1 }; }, 'config.json: /process/scheduler/policy: must be present', false],
  ['timeOffsets secs a string', (c) => { c.linux.timeOffsets = { monotonic: { secs: '1' } }; }, 'config.json: /linux/timeOffsets/monotonic/secs: must be integer', false],
  ['syscall names empty', (c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] }; },
    'config.json: /linux/seccomp/syscalls/0/names: must not be empty', false],
];

function mutated(mut: (c: Doc) => unknown): unknown {
  const c = fixture('runc-spec.json');
  const r = mut(c);
  return r === undefined ? c : r;
}

function message(doc: unknown): string | null {
  try {
    validateConfig(doc);
    return null;
  } catch (e) {
    expect((e as Error).name).toBe('TsrunError');
    return (e as Error).message;
  }
}

describe('validateConfig', () => {
  for (const [name, make] of Object.entries(VALID)) {
    it(`accepts ${name}`, () => expect(message(make())).toBeNull());
  }
  for (const [name, mut, want] of INVALID) {
    it(`rejects ${name}`, () => {
      const got = message(mutated(mut));
      expect(got).toBe(want);
      expect(got).not.toContain('\n');
    });
  }
  it('names a file other than config.json when told', () => {
    expect(() => validateConfig({}, 'x/config.json')).toThrow('x/config.json: /ociVersion: must be present');
  });
});

describe('formatSchemaErrors', () => {
  it('prefers the deepest pointer and counts distinct others', () => {
    const line = formatSchemaErrors('f', [
      { instancePath: '', keyword: 'required', params: { missingProperty: 'a' } },
      { instancePath: '/x/y', keyword: 'type', params: { type: 'string' }, message: 'must be string' },
      { instancePath: '/x/y', keyword: 'type', params: { type: 'string' }, message: 'must be string' },
      { instancePath: '/z', keyword: 'anyOf', params: {}, message: 'must match a schema in anyOf' },
    ]);
    expect(line).toBe('f: /x/y: must be string (and 1 more error)');
  });
});

describe('validateState', () => {
  const ok = { ociVersion: '1.2.0', id: 'c1', status: 'running', pid: 42, bundle: '/b' };
  it('accepts a running state and a stopped one without pid', () => {
    expect(() => validateState(ok)).not.toThrow();
    expect(() => validateState({ ...ok, status: 'stopped', pid: undefined })).not.toThrow();
    expect(() => validateState({ ...ok, status: 'paused' })).not.toThrow();
  });
  it('rejects bad states with a pointer', () => {
    expect(() => validateState({ ...ok, status: 'running', pid: undefined })).toThrow('state.json: /pid: must be present');
    expect(() => validateState({ ...ok, status: 'gone' })).toThrow(/^state\.json: \/status: must be one of "creating"/);
    expect(() => validateState({ ...ok, id: '' })).toThrow('state.json: /id: must not be empty');
    expect(() => validateState({ ...ok, bundle: undefined })).toThrow('state.json: /bundle: must be present');
  });
});

// The Debian package ships the upstream 1.0.2 schemas (draft-04). Their draft-04 parts
// are compatible with ajv 8 once "$schema" is dropped, so no ajv-draft-04 is needed.
describe('agreement with upstream runtime-spec 1.0.2 schemas', () => {
  const present = fs.existsSync(path.join(UPSTREAM, 'config-schema.json'));
  if (!present) console.log(`skipping upstream schema agreement: ${UPSTREAM} absent (apt-get install golang-github-opencontainers-specs-dev)`);
  const upstream = (() => {
    if (!present) return null;
    const ajv = new Ajv({ strict: false, validateFormats: false });
    for (const f of fs.readdirSync(UPSTREAM).filter((f) => f.endsWith('.json'))) {
      const s = JSON.parse(fs.readFileSync(path.join(UPSTREAM, f), 'utf8'));
      delete s.$schema;
      s.$id = `https://upstream.invalid/schema/${f}`;
      ajv.addSchema(s);
    }
    return {
      config: ajv.getSchema('https://upstream.invalid/schema/config-schema.json')!,
      state: ajv.getSchema('https://upstream.invalid/schema/state-schema.json')!,
    };
  })();
  it.skipIf(!present)('accepts the same valid samples', () => {
    for (const [name, make] of Object.entries(VALID)) {
      const doc = make();
      expect([name, upstream!.config(doc)]).toEqual([name, true]);
      expect([name, message(doc)]).toEqual([name, null]);
    }
  });
  it.skipIf(!present)('rejects the same invalid samples', () => {
    for (const [name, mut, , agree] of INVALID) {
      if (!agree) continue;
      expect([name, upstream!.config(mutated(mut))]).toEqual([name, false]);
      expect([name, message(mutated(mut)) !== null]).toEqual([name, true]);
    }
  });
  it.skipIf(!present)('agrees on state documents', () => {
    const ok = { ociVersion: '1.2.0', id: 'c1', status: 'created', pid: 7, bundle: '/b' };
    const samples = [ok, { ...ok, pid: -1 }, { ...ok, status: 'gone' }, { ...ok, id: undefined }, { ...ok, annotations: { a: 1 } }];
    for (const s of samples) {
      let mine = true;
      try {
        validateState(s);
      } catch {
        mine = false;
      }
      expect([s, mine]).toEqual([s, upstream!.state(s)]);
    }
  });
});
