// Pure cgroup mappings: no host needed.
import { describe, expect, it } from 'vitest';
import {
  blkioThrottleWrites, blkioToIoWeight, cpuMaxV2, deviceRuleLine, effectiveDeviceRules, ioMaxLines,
  pidsMax, rdmaLines, sharesToWeight, swapV2, v2Bytes, hugepageSize,
} from '../../src/linux/cgroups/convert';
import { cleanPath, dirIn, expandSlice, innerPath, systemdPath } from '../../src/linux/cgroups/paths';
import { modeOf, parseMountinfo, parseProcCgroup } from '../../src/linux/cgroups/host';

describe('v2 conversions', () => {
  it('shares -> weight as runc', () => {
    expect(sharesToWeight(0)).toBe(0);
    expect(sharesToWeight(2)).toBe(1);
    expect(sharesToWeight(1024)).toBe(39);
    expect(sharesToWeight(262144)).toBe(10000);
  });
  it('blkio weight -> io.weight', () => {
    expect(blkioToIoWeight(0)).toBe(0);
    expect(blkioToIoWeight(10)).toBe(1);
    expect(blkioToIoWeight(500)).toBe(4950);
    expect(blkioToIoWeight(1000)).toBe(10000);
  });
  it('pids limit', () => {
    expect(pidsMax(-1)).toBe('max');
    expect(pidsMax(0)).toBe('max');
    expect(pidsMax(32)).toBe('32');
  });
  it('memory bytes and swap (OCI swap is memory+swap)', () => {
    expect(v2Bytes(-1)).toBe('max');
    expect(swapV2(200, 100)).toBe('100');
    expect(swapV2(100, 100)).toBe('0');
    expect(swapV2(-1, 100)).toBe('max');
    expect(swapV2(undefined, -1)).toBe('max');
    expect(swapV2(undefined, 100)).toBeUndefined();
    expect(() => swapV2(50, 100)).toThrow(/must be >= memory limit 100/);
    expect(() => swapV2(50, undefined)).toThrow(/without a memory limit/);
  });
  it('cpu.max', () => {
    expect(cpuMaxV2(undefined, undefined)).toBeUndefined();
    expect(cpuMaxV2(50000, 100000)).toBe('50000 100000');
    expect(cpuMaxV2(-1, 100000)).toBe('max 100000');
    expect(cpuMaxV2(20000, undefined)).toBe('20000');
  });
  it('io.max and v1 throttle lines', () => {
    const b = {
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 0 }],
    };
    expect(ioMaxLines(b)).toEqual(['8:0 rbps=1048576', '8:16 wiops=max']);
    expect(blkioThrottleWrites(b)).toEqual([
      ['blkio.throttle.read_bps_device', '8:0 1048576'],
      ['blkio.throttle.write_iops_device', '8:16 0'],
    ]);
  });
  it('rdma and hugetlb names', () => {
    expect(rdmaLines({ mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } })).toEqual(['mlx5_1 hca_handle=3 hca_object=10000']);
    expect(hugepageSize('2MB')).toBe('2MB');
    expect(() => hugepageSize('2M')).toThrow(/invalid pageSize "2M"/);
  });
});

describe('device rules', () => {
  it('config rules first, then the defaults runc adds (linux.devices adds none)', () => {
    const rules = effectiveDeviceRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }]);
    const lines = rules.map((r) => `${r.allow ? 'allow' : 'deny'} ${deviceRuleLine(r)}`);
    expect(lines.slice(0, 4)).toEqual(['deny a', 'deny a', 'allow c 10:200 rwm', 'allow c *:* m']);
    expect(lines).toContain('allow c 1:3 rwm');
    expect(lines).toContain('allow c 136:* rwm');
    expect(lines).toContain('allow b *:* m');
  });
  it('a default rule with a path gives way when linux.devices lists that path (as written)', () => {
    const lines = (listed: string[]) => effectiveDeviceRules([], listed).map((r) => `${r.allow ? 'allow' : 'deny'} ${deviceRuleLine(r)}`);
    const all = lines([]);
    expect(lines(['/dev/zero', '/dev/ptmx', '/dev/fuse'])).toEqual(all.filter((l) => l !== 'allow c 1:5 rwm'));
    expect(lines(['/dev/zero/'])).toEqual(all);
  });
  it('rejects bad access', () => {
    expect(() => effectiveDeviceRules([{ allow: true, type: 'c', major: 1, minor: 3, access: 'x' }])).toThrow(/invalid access "x"/);
  });
});

describe('paths', () => {
  it('cleans like runc (relative stays relative, cannot climb)', () => {
    expect(cleanPath('/a/../b/')).toBe('/b');
    expect(cleanPath('../../x/y')).toBe('x/y');
    expect(cleanPath('')).toBe('');
  });
  it('default is the id, relative', () => {
    expect(innerPath({ id: 'abc' })).toBe('abc');
    expect(innerPath({ id: 'abc', cgroupsPath: '/x/y' })).toBe('/x/y');
    expect(() => innerPath({ id: 'abc', cgroupsPath: '/' })).toThrow(/cgroup root/);
  });
  it('systemd slice:prefix:name', () => {
    expect(expandSlice('system.slice')).toBe('/system.slice');
    expect(expandSlice('a-b-c.slice')).toBe('/a.slice/a-b.slice/a-b-c.slice');
    expect(expandSlice('-.slice')).toBe('/');
    expect(() => expandSlice('a--b.slice')).toThrow(/malformed/);
    expect(() => expandSlice('foo')).toThrow(/must end in ".slice"/);
    expect(systemdPath('system.slice:tsrun:abc', 'abc')).toBe('/system.slice/tsrun-abc.scope');
    expect(systemdPath('machine-x.slice:docker:1234', 'id')).toBe('/machine.slice/machine-x.slice/docker-1234.scope');
    expect(systemdPath(':tsrun:abc', 'abc')).toBe('/system.slice/tsrun-abc.scope');
    expect(systemdPath(undefined, 'abc')).toBe('/system.slice/tsrun-abc.scope');
    expect(systemdPath(undefined, 'abc', true)).toBe('/user.slice/tsrun-abc.scope');
    expect(systemdPath('system.slice::my.slice', 'abc')).toBe('/system.slice/my.slice');
    expect(() => systemdPath('/abs/path', 'abc')).toThrow(/slice:prefix:name/);
  });
  it('dirIn: absolute under mountpoint, relative under own cgroup seen through the mount root', () => {
    const h = { mountpoint: '/sys/fs/cgroup/memory', root: '/' };
    expect(dirIn(h, '/x/y', '/own')).toBe('/sys/fs/cgroup/memory/x/y');
    expect(dirIn(h, 'x/y', '/own/p')).toBe('/sys/fs/cgroup/memory/own/p/x/y');
    expect(dirIn({ mountpoint: '/sys/fs/cgroup/cpu', root: '/docker/c1' }, 'x', '/docker/c1/sub')).toBe('/sys/fs/cgroup/cpu/sub/x');
  });
});

const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

describe('host parsing', () => {
  it('mountinfo -> hierarchies and mode', () => {
    const hs = parseMountinfo(HYBRID);
    expect(hs.map((h) => h.controllers)).toEqual([['cpu', 'cpuacct'], ['memory'], ['name=systemd'], []]);
    expect(modeOf(hs)).toBe('hybrid');
    expect(modeOf(hs.filter((h) => !h.v2))).toBe('v1');
    expect(modeOf(parseMountinfo('25 1 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n'))).toBe('v2');
  });
  it('/proc/self/cgroup', () => {
    const m = parseProcCgroup('4:memory:/a/b\n2:cpu,cpuacct:/\n1:name=systemd:/s\n0::/u\n');
    expect(m.get('memory')).toBe('/a/b');
    expect(m.get('cpuacct')).toBe('/');
    expect(m.get('name=systemd')).toBe('/s');
    expect(m.get('')).toBe('/u');
  });
});
