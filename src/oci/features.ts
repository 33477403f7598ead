// `tsrun features`: what this runtime recognizes, as the runtime-spec features document.
// The name tables here are also what semantic.ts checks config.json against.
import type { HookName, NamespaceType } from './types';
import { version } from '../version';
import { OPS, SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_FILTER_FLAGS } from '../linux/seccomp';

export const OCI_VERSION_MIN = '1.0.0';
export const OCI_VERSION_MAX = '1.2.0';

export const HOOK_NAMES: readonly HookName[] = [
  'prestart',
  'createRuntime',
  'createContainer',
  'startContainer',
  'poststart',
  'poststop',
];

export const NAMESPACE_TYPES: readonly NamespaceType[] = [
  'cgroup',
  'ipc',
  'mount',
  'network',
  'pid',
  'time',
  'user',
  'uts',
];

/** Mount options tsrun parses into mount flags / propagation (tmpcopyup is not supported). */
export const MOUNT_OPTIONS: readonly string[] = [
  'ro', 'rw', 'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'sync', 'async', 'dirsync',
  'remount', 'mand', 'nomand', 'atime', 'noatime', 'diratime', 'nodiratime', 'relatime',
  'norelatime', 'strictatime', 'nostrictatime', 'bind', 'rbind', 'private', 'rprivate',
  'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable',
];

/** Linux capabilities in kernel bit order: index = capability number (0..40). */
export const CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

export const VERSION_ANNOTATION = 'io.github.tsrun.version';

export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks: string[];
  mountOptions: string[];
  linux: {
    namespaces: string[];
    capabilities: string[];
    cgroup: { v1: boolean; v2: boolean; systemd: boolean; systemdUser: boolean };
    seccomp: { enabled: boolean; actions?: string[]; operators?: string[]; archs?: string[]; supportedFlags?: string[] };
    apparmor: { enabled: boolean };
    selinux: { enabled: boolean };
    intelRdt: { enabled: boolean };
    mountExtensions: { idmap: { enabled: boolean } };
  };
  annotations: Record<string, string>;
}

/** The features document; key order is the order the CLI prints. */
export function features(): Features {
  return {
    ociVersionMin: OCI_VERSION_MIN,
    ociVersionMax: OCI_VERSION_MAX,
    hooks: [...HOOK_NAMES],
    mountOptions: [...MOUNT_OPTIONS],
    linux: {
      namespaces: [...NAMESPACE_TYPES],
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false },
      seccomp: {
        enabled: true,
        actions: [...SECCOMP_ACTIONS],
        operators: [...OPS],
        archs: [...SECCOMP_ARCHES],
        supportedFlags: Object.keys(SECCOMP_FILTER_FLAGS),
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations: { [VERSION_ANNOTATION]: version() },
  };
}
