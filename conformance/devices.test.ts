// runtime-linux.md "Dev symbolic links" and config-linux.md "Devices" / "Default Devices":
// what /dev looks like from inside the container.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceSkip, Suite } from './lib/harness';

const skip = announceSkip(__filename);

// Everything is probed in one container: one line per fact, "key value...".
const PROBE = [
  'for d in null zero full random urandom tty; do stat -c "dev $d %t:%T %F" /dev/$d; done',
  'for l in ptmx fd stdin stdout stderr; do echo "link $l $(readlink /dev/$l)"; done',
  'echo "ptmx $(stat -L -c "%t:%T %F" /dev/ptmx)"',
  'echo "use null $(echo x > /dev/null && echo ok)"',
  'echo "use zero $(head -c 4 /dev/zero | wc -c)"',
  'echo "use urandom $(head -c 4 /dev/urandom | wc -c)"',
  'echo "use full $(echo x 2>/dev/null > /dev/full && echo wrote || echo enospc)"',
  'for p in /dev/conf-char /dev/conf-block /dev/conf-fifo /conf-dir/conf-anywhere; do stat -c "custom %n %t:%T %F %a %u %g" $p; done',
  'cat /proc/self/mountinfo | sed "s/^/mountinfo /"',
].join('; ');

const DEFAULTS: Array<[string, string]> = [
  ['null', '1:3'],
  ['zero', '1:5'],
  ['full', '1:7'],
  ['random', '1:8'],
  ['urandom', '1:9'],
  ['tty', '5:0'],
];

describe.skipIf(!!skip)('/dev in the container', () => {
  let s: Suite;
  let out: string[] = [];
  const lines = (key: string) => out.filter((l) => l.startsWith(key + ' ')).map((l) => l.slice(key.length + 1));
  // mountinfo: field 5 is the mount point, the first field after " - " the fs type.
  const mounts = () =>
    lines('mountinfo').map((l) => {
      const [pre = '', post = ''] = l.split(' - ');
      return { point: pre.split(' ')[4], fstype: post.split(' ')[0] };
    });

  beforeAll(async () => {
    s = new Suite('devices');
    const b = await s.bundle('probe', {
      args: ['sh', '-c', PROBE],
      mutate: (c) => {
        c.linux.devices = [
          { path: '/dev/conf-char', type: 'c', major: 1, minor: 3, fileMode: 0o640, uid: 1234, gid: 5678 },
          { path: '/dev/conf-block', type: 'b', major: 7, minor: 200, fileMode: 0o600, uid: 0, gid: 0 },
          { path: '/dev/conf-fifo', type: 'p', fileMode: 0o620, uid: 42, gid: 43 },
          { path: '/conf-dir/conf-anywhere', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
        ];
      },
    });
    const r = s.ok(['run', '--bundle', b.dir, s.id('probe')]);
    out = r.stdout.split('\n').filter(Boolean);
  });
  afterAll(async () => {
    await s?.cleanup();
  });

  // Default Devices: null, zero, full, random, urandom and tty are supplied as the real char devices.
  for (const [name, mm] of DEFAULTS) {
    it(`/dev/${name} is character device ${mm}`, () => {
      expect(lines('dev').find((l) => l.startsWith(name + ' '))).toBe(`${name} ${mm} character special file`);
    });
  }

  // Default Devices: the supplied devices are usable (the device cgroup lets them through).
  it('default devices work: write null, read zero and urandom, full gives ENOSPC', () => {
    expect(lines('use')).toEqual(['null ok', 'zero 4', 'urandom 4', 'full enospc']);
  });

  // Default Devices: /dev/ptmx is a symlink to, or a bind mount of, the container's /dev/pts/ptmx.
  it('/dev/ptmx is the container devpts ptmx (symlink or bind mount)', () => {
    const link = lines('link').find((l) => l.startsWith('ptmx '))?.slice(5) ?? '';
    if (link) expect(['pts/ptmx', '/dev/pts/ptmx']).toContain(link);
    else expect(mounts().some((m) => m.point === '/dev/ptmx')).toBe(true);
    expect(lines('ptmx')[0]).toBe('5:2 character special file');
  });

  // Dev symbolic links: /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr point into /proc/self/fd.
  it('/dev/fd, /dev/stdin, /dev/stdout and /dev/stderr link into /proc/self/fd', () => {
    expect(lines('link').filter((l) => !l.startsWith('ptmx '))).toEqual([
      'fd /proc/self/fd',
      'stdin /proc/self/fd/0',
      'stdout /proc/self/fd/1',
      'stderr /proc/self/fd/2',
    ]);
  });

  // config.md mounts: /dev/pts (devpts) and /dev/shm (tmpfs) from the config are mounted.
  it('/dev/pts is a devpts mount and /dev/shm a tmpfs mount', () => {
    const m = mounts();
    expect(m.find((x) => x.point === '/dev/pts')?.fstype).toBe('devpts');
    expect(m.find((x) => x.point === '/dev/shm')?.fstype).toBe('tmpfs');
    expect(m.find((x) => x.point === '/dev')?.fstype).toBe('tmpfs');
  });

  // Devices: each linux.devices entry exists with its type, major:minor, fileMode, uid and gid,
  // also outside /dev.
  it('linux.devices entries are created with the given type, numbers, mode and owner', () => {
    expect(lines('custom')).toEqual([
      '/dev/conf-char 1:3 character special file 640 1234 5678',
      '/dev/conf-block 7:c8 block special file 600 0 0',
      '/dev/conf-fifo 0:0 fifo 620 42 43',
      '/conf-dir/conf-anywhere 1:5 character special file 666 0 0',
    ]);
  });

  // Devices: a file already at `path` that is not the requested device makes create error.
  it('errors when linux.devices names an existing non-device file, creating nothing', async () => {
    const b = await s.bundle('conflict', {
      args: ['true'],
      mutate: (c) => {
        c.linux.devices = [{ path: '/etc/passwd', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }];
      },
    });
    const before = fs.readFileSync(path.join(b.dir, 'rootfs/etc/passwd'), 'utf8');
    const id = s.id('conflict');
    expect(s.rt(['create', '--bundle', b.dir, id]).code).not.toBe(0);
    expect(s.leftovers(id, b)).toEqual([]);
    expect(fs.readFileSync(path.join(b.dir, 'rootfs/etc/passwd'), 'utf8')).toBe(before);
  });
});
