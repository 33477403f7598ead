// `tsrun features`: what this runtime recognizes, as the runtime-spec features document.
// The name tables here are also what semantic.ts checks config.json against.
import type { HookName, NamespaceType } from './types';
import { version } from '../version';
import { OPS, SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_FILTER_FLAGS } from '../linux/seccomp-names';
import { CAPABILITIES } from '../linux/capabilities';
import { MOUNT_OPTION_NAMES } from '../linux/mount-options';

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

/** Mount options tsrun understands: mount flags, propagation, recursive r* attributes, tmpcopyup, idmap/ridmap. */
export const MOUNT_OPTIONS: readonly string[] = MOUNT_OPTION_NAMES;

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
      cgroup: { v1: true, v2: true, systemd: true, systemdUser: false },
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
      mountExtensions: { idmap: { enabled: true } },
    },
    annotations: { [VERSION_ANNOTATION]: version() },
  };
}
