// Value parsing of `update` (runc's size rule) and `events --interval` (Go durations).
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/runtime/events';
import { ramInBytes } from '../../src/runtime/update';
import { parseList } from '../../src/linux/cgroups/stats';

describe('ramInBytes (docker units.RAMInBytes, as runc update uses)', () => {
  it.each([
    ['512', 512], ['64m', 64 * 2 ** 20], ['64MB', 64 * 2 ** 20], ['1.5g', 1.5 * 2 ** 30], ['2 kb', 2048], ['1KiB', 1024], ['-1', -1],
  ])('%s', (v, n) => expect(ramInBytes('memory', v)).toBe(n));
  it.each(['abc', '-2', '1x', '', '1.2.3m'])('refuses %s', (v) => expect(() => ramInBytes('memory', v)).toThrow(`invalid value for memory: invalid size: '${v}'`));
});

describe('parseDuration (Go time.ParseDuration)', () => {
  it.each([
    ['5s', 5000], ['250ms', 250], ['1m30s', 90_000], ['1.5h', 5_400_000], ['100us', 0.1], ['0', 0], ['-1s', -1000],
  ])('%s', (v, ms) => expect(parseDuration(v)).toBe(ms));
  it.each(['abc', '5', '1s2', '', 's'])('refuses %s', (v) => expect(parseDuration(v)).toBeNull());
});

describe('cpuset lists', () => {
  it('expands ranges', () => expect(parseList('0-2,5')).toEqual([0, 1, 2, 5]));
});
