// checkConfig: the rules a schema cannot say, each asserted as its exact one-line error.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/oci/semantic';
import type { Spec } from '../../src/oci/types';

const FIXTURES = path.join(__dirname, 'fixtures/configs');
let bundle: string;

beforeAll(() => {
  bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-semantic-'));
  fs.mkdirSync(path.join(bundle, 'rootfs'));
  fs.writeFileSync(path.join(bundle, 'afile'), '');
});
afterAll(() => fs.rmSync(bundle, { recursive: true, force: true }));

const base = (): any => JSON.parse(fs.readFileSync(path.join(FIXTURES, 'runc-spec.json'), 'utf8'));

function check(mut: (c: any) => void, opts: { requireProcess?: boolean } = {}): { error: string | null; warnings: string[] } {
  const c = base();
  mut(c);
  const warnings: string[] = [];
  try {
    checkConfig(c as Spec, bundle, { ...opts, warn: (w) => warnings.push(w) });
    return { error: null, warnings };
  } catch (e) {
    expect((e as Error).name).toBe('TsrunError');
    return { error: (e as Error).message, warnings };
  }
}

const withoutNs = (c: any, t: string) => (c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== t));

const ERRORS: [string, (c: any) => void, string][] = [
  ['ociVersion not semver', (c) => (c.ociVersion = 'garbage'), 'config.json: /ociVersion: "garbage" is not a SemVer 2.0.0 version'],
  ['ociVersion major 2', (c) => (c.ociVersion = '2.0.0'), 'config.json: /ociVersion: "2.0.0" is not supported (tsrun supports 1.x)'],
  ['root missing', (c) => delete c.root, 'config.json: /root: must be present on Linux'],
  ['root.path missing dir', (c) => (c.root.path = 'nope'), 'config.json: /root/path: "BUNDLE/nope": does not exist'],
  ['root.path a file', (c) => (c.root.path = 'afile'), 'config.json: /root/path: "BUNDLE/afile": is not a directory'],
  ['process missing', (c) => delete c.process, 'config.json: /process: must be present to create a container'],
  ['process.user missing', (c) => delete c.process.user, 'config.json: /process/user: must be present on Linux'],
  ['process.user.gid missing', (c) => delete c.process.user.gid, 'config.json: /process/user/gid: must be present on Linux'],
  ['args empty', (c) => (c.process.args = []), 'config.json: /process/args: must contain at least one entry'],
  ['args missing', (c) => delete c.process.args, 'config.json: /process/args: must contain at least one entry'],
  ['cwd relative', (c) => (c.process.cwd = 'tmp'), 'config.json: /process/cwd: "tmp" must be an absolute path'],
  ['env without =', (c) => c.process.env.push('FOO'), 'config.json: /process/env/2: "FOO" is not NAME=value'],
  ['env empty name', (c) => c.process.env.push('=x'), 'config.json: /process/env/2: "=x" has an empty name'],
  ['rlimit unknown', (c) => c.process.rlimits.push({ type: 'RLIMIT_FOO', hard: 1, soft: 1 }), 'config.json: /process/rlimits/1/type: unknown rlimit "RLIMIT_FOO"'],
  ['rlimit duplicate', (c) => c.process.rlimits.push({ type: 'RLIMIT_NOFILE', hard: 1, soft: 1 }),
    'config.json: /process/rlimits/1/type: duplicate rlimit "RLIMIT_NOFILE" (first at /process/rlimits/0)'],
  ['rlimit soft > hard', (c) => (c.process.rlimits[0] = { type: 'RLIMIT_NOFILE', hard: 10, soft: 100 }),
    'config.json: /process/rlimits/0/soft: 100 is greater than hard limit 10'],
  ['capability malformed', (c) => c.process.capabilities.bounding.push('net_admin'), 'config.json: /process/capabilities/bounding/3: "net_admin" is not a capability name'],
  ['oomScoreAdj out of range', (c) => (c.process.oomScoreAdj = 1001), 'config.json: /process/oomScoreAdj: 1001 is outside -1000..1000'],
  ['ioPriority out of range', (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 8 }), 'config.json: /process/ioPriority/priority: 8 is outside 0..7'],
  ['mount uidMappings without gidMappings', (c) => (c.mounts[0].uidMappings = [{ containerID: 0, hostID: 1, size: 1 }]),
    'config.json: /mounts/0/gidMappings: must be set together with uidMappings'],
  ['hook path relative', (c) => (c.hooks = { prestart: [{ path: 'true' }] }), 'config.json: /hooks/prestart/0/path: "true" must be an absolute path'],
  ['duplicate namespace', (c) => c.linux.namespaces.push({ type: 'pid' }), 'config.json: /linux/namespaces/5: duplicate namespace type "pid"'],
  ['namespace path relative', (c) => (c.linux.namespaces[1] = { type: 'network', path: 'proc/1/ns/net' }),
    'config.json: /linux/namespaces/1/path: "proc/1/ns/net" must be an absolute path'],
  ['namespace path missing', (c) => (c.linux.namespaces[1] = { type: 'network', path: '/proc/0/ns/net' }),
    'config.json: /linux/namespaces/1/path: "/proc/0/ns/net" does not exist'],
  ['user ns without uid mappings', (c) => { c.linux.namespaces.push({ type: 'user' }); c.linux.gidMappings = [{ containerID: 0, hostID: 0, size: 1 }]; },
    'config.json: /linux/uidMappings: must not be empty when a new user namespace is created'],
  ['user ns without any mappings', (c) => c.linux.namespaces.push({ type: 'user' }),
    'config.json: /linux/uidMappings: must not be empty when a new user namespace is created (and 1 more error)'],
  ['hostname without uts', (c) => withoutNs(c, 'uts'), 'config.json: /hostname: cannot be set without a uts namespace in /linux/namespaces'],
  ['domainname without uts', (c) => { withoutNs(c, 'uts'); delete c.hostname; c.domainname = 'x.org'; },
    'config.json: /domainname: cannot be set without a uts namespace in /linux/namespaces'],
  ['timeOffsets without time ns', (c) => (c.linux.timeOffsets = { monotonic: { secs: 1 } }),
    'config.json: /linux/timeOffsets: needs a new time namespace (type "time" without path) in /linux/namespaces'],
  ['timeOffsets bad clock', (c) => { c.linux.namespaces.push({ type: 'time' }); c.linux.timeOffsets = { realtime: { secs: 1 } }; },
    'config.json: /linux/timeOffsets/realtime: unknown clock "realtime" (must be "monotonic" or "boottime")'],
  ['timeOffsets nanosecs too big', (c) => { c.linux.namespaces.push({ type: 'time' }); c.linux.timeOffsets = { boottime: { nanosecs: 1e9 } }; },
    'config.json: /linux/timeOffsets/boottime/nanosecs: 1000000000 is not below 1000000000'],
  ['net sysctl without netns', (c) => { withoutNs(c, 'network'); c.linux.sysctl = { 'net.ipv4.ip_forward': '1' }; },
    'config.json: /linux/sysctl/net.ipv4.ip_forward: needs a network namespace in /linux/namespaces'],
  ['net sysctl in the host netns by path', (c) => { c.linux.namespaces[1] = { type: 'network', path: '/proc/self/ns/net' }; c.linux.sysctl = { 'net/ipv4/ip_forward': '1' }; },
    'config.json: /linux/sysctl/net~1ipv4~1ip_forward: not allowed in the host network namespace'],
  ['ipc sysctl without ipc ns', (c) => { withoutNs(c, 'ipc'); c.linux.sysctl = { 'kernel.msgmax': '8192' }; },
    'config.json: /linux/sysctl/kernel.msgmax: needs an ipc namespace in /linux/namespaces'],
  ['mqueue sysctl without ipc ns', (c) => { withoutNs(c, 'ipc'); c.linux.sysctl = { 'fs.mqueue.msg_max': '10' }; },
    'config.json: /linux/sysctl/fs.mqueue.msg_max: needs an ipc namespace in /linux/namespaces'],
  ['kernel.hostname sysctl', (c) => (c.linux.sysctl = { 'kernel.hostname': 'x' }),
    'config.json: /linux/sysctl/kernel.hostname: conflicts with /hostname: set the hostname there'],
  ['kernel.domainname without uts', (c) => { withoutNs(c, 'uts'); delete c.hostname; c.linux.sysctl = { 'kernel.domainname': 'x' }; },
    'config.json: /linux/sysctl/kernel.domainname: is not isolated by a namespace of the container'],
  ['host-wide sysctl', (c) => (c.linux.sysctl = { 'vm.swappiness': '1' }), 'config.json: /linux/sysctl/vm.swappiness: is not isolated by a namespace of the container'],
  ['device path relative', (c) => (c.linux.devices = [{ path: 'dev/foo', type: 'c', major: 1, minor: 3 }]),
    'config.json: /linux/devices/0/path: "dev/foo" must be an absolute path'],
  ['device rule access bad', (c) => (c.linux.resources.devices[0].access = 'rwx'),
    'config.json: /linux/resources/devices/0/access: "rwx" must be made of r, w and m'],
  ['maskedPaths relative', (c) => c.linux.maskedPaths.push('proc/foo'), 'config.json: /linux/maskedPaths/10: "proc/foo" must be an absolute path'],
  ['readonlyPaths relative', (c) => (c.linux.readonlyPaths[0] = 'proc/bus'), 'config.json: /linux/readonlyPaths/0: "proc/bus" must be an absolute path'],
  ['rootfsPropagation bad', (c) => (c.linux.rootfsPropagation = 'foo'),
    'config.json: /linux/rootfsPropagation: "foo" must be one of shared, slave, private, unbindable, rshared, rslave, rprivate, runbindable'],
  ['seccomp listenerMetadata alone', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'x' }),
    'config.json: /linux/seccomp/listenerMetadata: must not be set without listenerPath'],
  ['several errors counted', (c) => { c.process.cwd = 'x'; c.process.args = []; },
    'config.json: /process/args: must contain at least one entry (and 1 more error)'],
];

describe('checkConfig errors', () => {
  for (const [name, mut, want] of ERRORS) {
    it(name, () => expect(check(mut).error).toBe(want.replace('BUNDLE', bundle)));
  }
});

describe('checkConfig accepts', () => {
  const OK: [string, (c: any) => void][] = [
    ['the runc spec', () => {}],
    ['the rootless runc spec', (c) => Object.assign(c, JSON.parse(fs.readFileSync(path.join(FIXTURES, 'runc-spec-rootless.json'), 'utf8')))],
    ['no process when not required', (c) => delete c.process],
    ['absolute root.path', (c) => (c.root.path = path.join(bundle, 'rootfs'))],
    ['joined user namespace without mappings', (c) => c.linux.namespaces.push({ type: 'user', path: '/proc/self/ns/user' })],
    ['namespaced sysctls', (c) => (c.linux.sysctl = { 'net.core.somaxconn': '256', 'kernel.shmmax': '1', 'kernel.domainname': 'x', 'fs.mqueue.queues_max': '2' })],
    ['time offsets with a time namespace', (c) => { c.linux.namespaces.push({ type: 'time' }); c.linux.timeOffsets = { monotonic: { secs: -5, nanosecs: 1 }, boottime: { secs: 3 } }; }],
    ['recursive rootfsPropagation', (c) => (c.linux.rootfsPropagation = 'rslave')],
    ['ociVersion with pre-release and build', (c) => (c.ociVersion = '1.0.2-dev+abc.1')],
    ['pipe device', (c) => (c.linux.devices = [{ path: '/dev/p', type: 'p' }])],
  ];
  for (const [name, mut] of OK) {
    it(name, () => {
      const r = check(mut, { requireProcess: name !== 'no process when not required' });
      expect(r.error).toBeNull();
      expect(r.warnings).toEqual([]);
    });
  }
});

describe('checkConfig warnings (runc only warns)', () => {
  it('relative mount destination', () => {
    const r = check((c) => c.mounts.push({ destination: 'mnt', type: 'tmpfs', source: 'tmpfs' }));
    expect(r).toEqual({ error: null, warnings: ['config.json: /mounts/7/destination: "mnt" is not absolute; using "/mnt"'] });
  });
  it('unknown capability', () => {
    const r = check((c) => c.process.capabilities.ambient.push('CAP_FOO'));
    expect(r).toEqual({ error: null, warnings: ['config.json: /process/capabilities/ambient/3: unknown capability "CAP_FOO" ignored'] });
  });
  it('id mappings without a user namespace', () => {
    const r = check((c) => (c.linux.uidMappings = [{ containerID: 0, hostID: 0, size: 1 }]));
    expect(r).toEqual({ error: null, warnings: ['config.json: /linux/uidMappings: ignored without a new user namespace'] });
  });
});
