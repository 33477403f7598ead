import { describe, expect, it } from 'vitest';
import { parseSignal, signalName, SIGNALS } from '../../src/linux/signals';

describe('parseSignal', () => {
  it('accepts names with and without SIG, in any case', () => {
    expect(parseSignal('TERM')).toBe(15);
    expect(parseSignal('SIGTERM')).toBe(15);
    expect(parseSignal('sigkill')).toBe(9);
    expect(parseSignal('usr1')).toBe(10);
    expect(parseSignal('SIGWINCH')).toBe(28);
    expect(parseSignal('SIGIOT')).toBe(6);
    expect(parseSignal('CHLD')).toBe(17);
  });
  it('passes numbers through (0 probes; the kernel judges the rest)', () => {
    expect(parseSignal('9')).toBe(9);
    expect(parseSignal('0')).toBe(0);
    expect(parseSignal('34')).toBe(34);
    expect(parseSignal('99')).toBe(99);
  });
  it('knows real-time signals as glibc numbers them', () => {
    expect(parseSignal('SIGRTMIN')).toBe(34);
    expect(parseSignal('RTMIN+3')).toBe(37);
    expect(parseSignal('SIGRTMAX-1')).toBe(63);
    expect(parseSignal('RTMAX')).toBe(64);
    expect(() => parseSignal('RTMIN+31')).toThrow(/unknown signal/);
  });
  it('rejects what is not a signal with runc\'s message', () => {
    expect(() => parseSignal('FOO')).toThrow('unknown signal "FOO"');
    expect(() => parseSignal('')).toThrow(/unknown signal/);
    expect(() => parseSignal('-9')).toThrow(/unknown signal/);
    expect(() => parseSignal('9x')).toThrow(/unknown signal/);
  });
  it('names numbers canonically', () => {
    expect(signalName(15)).toBe('SIGTERM');
    expect(signalName(6)).toBe('SIGABRT');
    expect(signalName(17)).toBe('SIGCHLD');
    expect(signalName(37)).toBe('SIGRTMIN+3');
    expect(signalName(200)).toBe('200');
    for (const [name, n] of Object.entries(SIGNALS)) expect(parseSignal(signalName(n)), name).toBe(n);
  });
});
