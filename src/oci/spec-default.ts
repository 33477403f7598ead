// `tsrun spec`: the starter config.json. Same fields, values and key order as `runc spec`
// (and `runc spec --rootless`) of runc 1.1.5, with ociVersion 1.2.0 and hostname "tsrun", and
// no ambient capability set: runc 1.1.5 lists one without an inheritable set, which the kernel
// cannot raise (runc ignores the failure; tsrun would warn on every run and exec). The
// container's capabilities are the same (CapAmb 0); later runc drops the set from its spec too.
// runc writes it tab-indented without a trailing newline: JSON.stringify(spec, null, '\t').
import type { Mount, Spec } from './types';
import { OCI_VERSION } from './types';

const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
];

const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

function mounts(rootless: boolean): Mount[] {
  const devptsOpts = ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'];
  // gid=5 (tty) cannot be mapped when only the caller's own ids are.
  if (!rootless) devptsOpts.push('gid=5');
  return [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: devptsOpts },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    // A fresh sysfs needs a network namespace owned by the container's user namespace.
    rootless
      ? { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
      : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

/** The default config.json; `rootless` maps only the caller's euid/egid to 0 and drops netns and cgroup settings. */
export function defaultSpec(opts: { rootless: boolean }): Spec {
  const { rootless } = opts;
  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: [...DEFAULT_CAPS],
        effective: [...DEFAULT_CAPS],
        permitted: [...DEFAULT_CAPS],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'tsrun',
    mounts: mounts(rootless),
    linux: rootless
      ? {
          uidMappings: [{ containerID: 0, hostID: process.geteuid?.() ?? 0, size: 1 }],
          gidMappings: [{ containerID: 0, hostID: process.getegid?.() ?? 0, size: 1 }],
          namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'user' }],
          maskedPaths: [...MASKED_PATHS],
          readonlyPaths: [...READONLY_PATHS],
        }
      : {
          resources: { devices: [{ allow: false, access: 'rwm' }] },
          namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
          maskedPaths: [...MASKED_PATHS],
          readonlyPaths: [...READONLY_PATHS],
        },
  };
  return spec;
}
