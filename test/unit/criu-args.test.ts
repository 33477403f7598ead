// The external mounts tsrun names to CRIU: at dump each mount point is its own key, at
// restore each key maps to the bundle's source; masked files are keyed "/dev/null" (dirs
// get a tmpfs CRIU saves itself); the bound cgroup dir only without a cgroup namespace.
import { describe, expect, it } from 'vitest';
import { externalMountArgs, restoreMountpoints } from '../../src/linux/criu';
import type { Spec } from '../../src/oci/types';
import type { CgroupRef } from '../../src/linux/cgroups';

const spec = (cgroupNs: boolean): Spec =>
  ({
    ociVersion: '1.0.2',
    root: { path: 'rootfs' },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/data/', type: 'bind', source: '/srv/data', options: ['rbind', 'rw'] },
      { destination: '/etc/hosts', type: 'none', source: '/tmp/hosts', options: ['bind', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro'] },
    ],
    linux: {
      namespaces: [{ type: 'mount' }, ...(cgroupNs ? [{ type: 'cgroup' as const }] : [])],
      maskedPaths: ['/proc/kcore', '/proc/acpi'],
      devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }],
    },
  }) as Spec;
const v2: CgroupRef = { mode: 'v2', path: '/ct', dirs: { unified: '/sys/fs/cgroup/ct' } };
const pairs = (args: string[]) => args.filter((_, i) => i % 2 === 1);

describe('externalMountArgs', () => {
  it('dump: mount point -> key, masked files only, devices, the bound cgroup dir', () => {
    const a = externalMountArgs('dump', spec(false), v2, false, (p) => p === '/proc/kcore');
    expect(a.filter((_, i) => i % 2 === 0).every((x) => x === '--external')).toBe(true);
    expect(pairs(a)).toEqual(
      expect.arrayContaining(['mnt[/data]:/data', 'mnt[/etc/hosts]:/etc/hosts', 'mnt[/sys/fs/cgroup]:/sys/fs/cgroup', 'mnt[/proc/kcore]:/dev/null', 'mnt[/dev/null]:/dev/null', 'mnt[/dev/fuse]:/dev/fuse']),
    );
    expect(pairs(a).some((x) => x.startsWith('mnt[/proc/acpi]') || x.startsWith('mnt[/proc]'))).toBe(false);
  });

  it('restore: key -> the source of the day; with a cgroup namespace cgroupfs is a real mount', () => {
    const a = pairs(externalMountArgs('restore', spec(true), v2, false));
    expect(a).toEqual(expect.arrayContaining(['mnt[/data]:/srv/data', 'mnt[/etc/hosts]:/tmp/hosts', 'mnt[/dev/null]:/dev/null', 'mnt[/dev/fuse]:/dev/fuse']));
    expect(a.some((x) => x.startsWith('mnt[/sys/fs/cgroup]'))).toBe(false);
    expect(pairs(externalMountArgs('restore', spec(false), v2, false))).toContain('mnt[/sys/fs/cgroup]:/sys/fs/cgroup/ct');
  });
});

describe('restoreMountpoints', () => {
  it('every mount but cgroup ones and those beneath a tmpfs; bind mounts of files are files', () => {
    const s = spec(false);
    s.mounts!.push({ destination: '/dev', type: 'tmpfs', source: 'tmpfs' }, { destination: '/dev/shm', type: 'tmpfs', source: 'shm' }, { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue' });
    expect(restoreMountpoints(s, (src) => src === '/tmp/hosts')).toEqual([
      { path: '/proc', file: false },
      { path: '/data', file: false },
      { path: '/etc/hosts', file: true },
      { path: '/dev', file: false },
    ]);
  });
});
