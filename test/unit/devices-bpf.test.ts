// compileDeviceProgram: the eBPF it emits is run here by a small interpreter (with the
// verifier's structural checks that matter for it: forward jumps in range, initialised
// registers, ctx loads only through r1 at the three u32 fields, r0 set at exit) and compared
// with a direct model of the v1 devices controller, on hand-picked and on random rule lists.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_DEVICES, type DeviceRule, effectiveDeviceRules } from '../../src/linux/cgroups/convert';
import {
  BPF_DEVCG_ACC_MKNOD as M, BPF_DEVCG_ACC_READ as R, BPF_DEVCG_ACC_WRITE as W, BPF_DEVCG_DEV_BLOCK as BLK, BPF_DEVCG_DEV_CHAR as CHR,
  compileDeviceProgram, emulateDeviceRules,
} from '../../src/linux/cgroups/devices-bpf';

interface Req { type: number; major: number; minor: number; access: number }

const U64 = (1n << 64n) - 1n;
const sx32 = (imm: number) => BigInt.asUintN(64, BigInt(imm)); // imm is s32, sign-extended

/** Run a BPF_PROG_TYPE_CGROUP_DEVICE program on one request; throws where the kernel would reject it. */
function run(prog: Buffer, q: Req): number {
  const n = prog.length / 8;
  if (!Number.isInteger(n) || n === 0) throw new Error(`bad program length ${prog.length}`);
  const reg: (bigint | undefined)[] = new Array(11).fill(undefined);
  let ctxReg = 1; // the register holding the ctx pointer (only r1 at entry)
  const ctx = [BigInt(((q.access << 16) | q.type) >>> 0), BigInt(q.major >>> 0), BigInt(q.minor >>> 0)];
  const get = (r: number, pc: number): bigint => {
    if (r === ctxReg) throw new Error(`pointer arithmetic/compare on ctx r${r} at ${pc}`);
    const v = reg[r];
    if (v === undefined) throw new Error(`r${r} read before set at ${pc}`);
    return v;
  };
  const set = (r: number, v: bigint) => {
    if (r === 10) throw new Error('write to r10');
    if (r === ctxReg) ctxReg = -1;
    reg[r] = v & U64;
  };
  for (let pc = 0, steps = 0; pc < n; pc++, steps++) {
    if (steps > n) throw new Error('loop');
    const code = prog[pc * 8];
    const dst = prog[pc * 8 + 1] & 0xf;
    const src = prog[pc * 8 + 1] >> 4;
    const off = prog.readInt16LE(pc * 8 + 2);
    const imm = prog.readInt32LE(pc * 8 + 4);
    const jump = (cond: boolean) => {
      if (off < 0) throw new Error(`backward jump at ${pc}`);
      if (pc + off + 1 >= n) throw new Error(`jump out of program at ${pc}`);
      if (cond) pc += off;
    };
    switch (code) {
      case 0x61: // ldxw
        if (src !== ctxReg || ![0, 4, 8].includes(off)) throw new Error(`bad ctx load r${src}+${off} at ${pc}`);
        set(dst, ctx[off / 4]);
        break;
      case 0xbf: set(dst, get(src, pc)); break;
      case 0xb4: set(dst, BigInt(imm >>> 0)); break; // mov32: zero-extends
      case 0x57: set(dst, get(dst, pc) & sx32(imm)); break;
      case 0x77: set(dst, get(dst, pc) >> BigInt(imm)); break;
      case 0x55: jump(get(dst, pc) !== sx32(imm)); break;
      case 0x15: jump(get(dst, pc) === sx32(imm)); break;
      case 0x45: jump((get(dst, pc) & sx32(imm)) !== 0n); break;
      case 0x5d: jump(get(dst, pc) !== get(src, pc)); break;
      case 0x95: {
        const r0 = get(0, pc);
        if (r0 !== 0n && r0 !== 1n) throw new Error(`returns ${r0}`);
        return Number(r0);
      }
      default: throw new Error(`unexpected opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('fell off the end');
}

// ---- a direct model of the v1 devices controller (kernel security/device_cgroup.c) ----
interface Ex { type: number; major: number; minor: number; access: number }
const bits = (a: string) => (a === '' ? 7 : (a.includes('r') ? R : 0) | (a.includes('w') ? W : 0) | (a.includes('m') ? M : 0));

/** The decision for q, or 'error' where the rule list punches a hole in a wildcard exception. */
function model(rules: DeviceRule[]): ((q: Req) => number) | 'error' {
  let allowAll = true;
  let exs: Ex[] = [];
  for (const r of rules) {
    if (r.type === 'a') {
      allowAll = r.allow;
      exs = [];
      continue;
    }
    const e: Ex = { type: r.type === 'b' ? BLK : CHR, major: r.major < 0 ? -1 : r.major, minor: r.minor < 0 ? -1 : r.minor, access: bits(r.access) };
    const same = (x: Ex) => x.type === e.type && x.major === e.major && x.minor === e.minor;
    if (r.allow !== allowAll) {
      const cur = exs.find(same);
      if (cur) cur.access |= e.access;
      else exs.push(e);
    } else {
      // runc's refusal: taking bits away that a wildcard exception over this device still grants.
      const wider = exs.find((x) => x.type === e.type && !same(x) && (x.access & e.access) !== 0 &&
        ((x.major === -1 && x.minor === e.minor) || (x.major === e.major && x.minor === -1) || (x.major === -1 && x.minor === -1)));
      if (wider) return 'error';
      exs = exs.map((x) => (same(x) ? { ...x, access: x.access & ~e.access } : x)).filter((x) => x.access);
    }
  }
  const dev = (x: Ex, q: Req) => x.type === q.type && (x.major === -1 || x.major === q.major) && (x.minor === -1 || x.minor === q.minor);
  if (allowAll) return (q) => (exs.some((x) => dev(x, q) && (x.access & q.access) !== 0) ? 0 : 1);
  return (q) => (exs.some((x) => dev(x, q) && (q.access & ~x.access) === 0) ? 1 : 0);
}

const MAJORS = [0, 1, 5, 10, 136, 254, 0x7fffffff, 0x80000000, 0xffffffff];
const MINORS = [0, 1, 3, 5, 200, 0x7fffffff, 0x80000001, 0xffffffff];
const ACCESSES = [M, R, W, R | W, R | M, W | M, R | W | M];

function requests(majors = MAJORS, minors = MINORS): Req[] {
  const out: Req[] = [];
  for (const type of [BLK, CHR]) for (const major of majors) for (const minor of minors) for (const access of ACCESSES) out.push({ type, major, minor, access });
  return out;
}

function check(rules: DeviceRule[], reqs = requests()): void {
  const m = model(rules);
  if (m === 'error') {
    expect(() => compileDeviceProgram(rules)).toThrow(/cannot take access away/);
    return;
  }
  const prog = compileDeviceProgram(rules);
  for (const q of reqs) {
    const got = run(prog, q);
    if (got !== m(q)) throw new Error(`rules ${JSON.stringify(rules)} request ${JSON.stringify(q)}: program ${got}, model ${m(q)}`);
  }
}

const rule = (allow: boolean, type: 'a' | 'c' | 'b', major = -1, minor = -1, access = 'rwm'): DeviceRule => ({ allow, type, major, minor, access });
const denyAll = rule(false, 'a');
const allowAll = rule(true, 'a');
const req = (type: number, major: number, minor: number, access: number): Req => ({ type, major, minor, access });

describe('compileDeviceProgram: hand-picked decisions', () => {
  it('deny all, allow c 1:3 rwm: /dev/null only', () => {
    const p = compileDeviceProgram([denyAll, rule(true, 'c', 1, 3)]);
    expect(run(p, req(CHR, 1, 3, R | W))).toBe(1);
    expect(run(p, req(CHR, 1, 3, M))).toBe(1);
    expect(run(p, req(CHR, 1, 5, R))).toBe(0);
    expect(run(p, req(BLK, 1, 3, R))).toBe(0);
  });

  it('access subsets: an allow must grant every requested bit', () => {
    const p = compileDeviceProgram([denyAll, rule(true, 'c', 1, 3, 'r'), rule(true, 'c', 1, 5, 'm')]);
    expect(run(p, req(CHR, 1, 3, R))).toBe(1);
    expect(run(p, req(CHR, 1, 3, R | W))).toBe(0);
    expect(run(p, req(CHR, 1, 3, W))).toBe(0);
    expect(run(p, req(CHR, 1, 5, M))).toBe(1);
    expect(run(p, req(CHR, 1, 5, R))).toBe(0);
  });

  it('wildcard majors and minors, char vs block', () => {
    const p = compileDeviceProgram([denyAll, rule(true, 'c', 136, -1), rule(true, 'b', -1, 7, 'rw'), rule(true, 'c', -1, -1, 'm')]);
    expect(run(p, req(CHR, 136, 0, R | W))).toBe(1);
    expect(run(p, req(CHR, 136, 99999, R))).toBe(1);
    expect(run(p, req(BLK, 136, 0, R))).toBe(0);
    expect(run(p, req(BLK, 8, 7, R | W))).toBe(1);
    expect(run(p, req(BLK, 8, 7, M))).toBe(0);
    expect(run(p, req(CHR, 8, 7, R))).toBe(0);
    expect(run(p, req(CHR, 4, 4, M))).toBe(1);
    expect(run(p, req(BLK, 4, 4, M))).toBe(0);
  });

  it('allow-all mode: a deny exception denies any overlapping access (v1 partial match)', () => {
    const p = compileDeviceProgram([allowAll, rule(false, 'c', 1, 3, 'w')]);
    expect(run(p, req(CHR, 1, 3, R))).toBe(1);
    expect(run(p, req(CHR, 1, 3, W))).toBe(0);
    expect(run(p, req(CHR, 1, 3, R | W))).toBe(0);
    expect(run(p, req(CHR, 1, 4, W))).toBe(1);
    expect(run(p, req(BLK, 1, 3, W))).toBe(1);
  });

  it('type "a" resets, whatever its numbers and access', () => {
    const p = compileDeviceProgram([rule(true, 'c', 1, 3), { allow: false, type: 'a', major: 1, minor: 3, access: 'r' }]);
    expect(run(p, req(CHR, 1, 3, R))).toBe(0);
    expect(run(p, req(CHR, 9, 9, W))).toBe(0);
    const q = compileDeviceProgram([denyAll, rule(true, 'c', 1, 3), allowAll]);
    expect(run(q, req(BLK, 8, 0, R | W | M))).toBe(1);
    // Empty list: a v1 cgroup starts allow-all.
    expect(run(compileDeviceProgram([]), req(BLK, 8, 0, R | W | M))).toBe(1);
  });

  it('a deny of the exact exception removes access bits; later allows merge', () => {
    const rules = [denyAll, rule(true, 'c', 1, 3), rule(false, 'c', 1, 3, 'w'), rule(true, 'c', 1, 3, 'm')];
    const p = compileDeviceProgram(rules);
    expect(run(p, req(CHR, 1, 3, R | M))).toBe(1);
    expect(run(p, req(CHR, 1, 3, W))).toBe(0);
    expect(emulateDeviceRules(rules).exceptions).toEqual([{ type: 'c', major: 1, minor: 3, access: R | M }]);
    expect(run(compileDeviceProgram([denyAll, rule(true, 'c', 1, 3), rule(false, 'c', 1, 3)]), req(CHR, 1, 3, R))).toBe(0);
  });

  it('refuses to punch a hole in a wildcard exception (runc does too)', () => {
    expect(() => compileDeviceProgram([denyAll, rule(true, 'c', -1, -1), rule(false, 'c', 1, 3, 'w')])).toThrow(
      'linux.resources.devices: rule "deny c 1:3 w" cannot take access away from the wider rule "c *:* rwm"',
    );
    expect(() => compileDeviceProgram([denyAll, rule(true, 'c', 1, -1, 'r'), rule(false, 'c', 1, 3, 'w')])).not.toThrow();
    expect(() => compileDeviceProgram([denyAll, rule(true, 'b', -1, -1, 'r'), rule(false, 'c', 1, 3, 'r')])).not.toThrow();
  });

  it('device numbers up to 2^32-1 compare as u32; bigger ones and bad access are errors', () => {
    const p = compileDeviceProgram([denyAll, rule(true, 'c', 0xffffffff, 0x80000000)]);
    expect(run(p, req(CHR, 0xffffffff, 0x80000000, R))).toBe(1);
    expect(run(p, req(CHR, 0x7fffffff, 0x80000000, R))).toBe(0);
    expect(run(p, req(CHR, 0xffffffff, 0, R))).toBe(0);
    expect(() => compileDeviceProgram([rule(true, 'c', 2 ** 32, 0)])).toThrow(/invalid major 4294967296/);
    expect(() => compileDeviceProgram([rule(true, 'c', 1.5, 0)])).toThrow(/invalid major/);
    expect(() => compileDeviceProgram([rule(true, 'c', 1, 3, 'rx')])).toThrow(/invalid access "rx"/);
  });

  it('the default container policy: basics allowed, mknod of anything, nothing else', () => {
    const p = compileDeviceProgram(effectiveDeviceRules([]));
    for (const [maj, min] of [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 2], [136, 4], [10, 200]]) {
      expect(run(p, req(CHR, maj, min, R | W))).toBe(1);
    }
    expect(run(p, req(CHR, 1, 1, R))).toBe(0); // /dev/mem
    expect(run(p, req(BLK, 8, 0, R))).toBe(0); // /dev/sda
    expect(run(p, req(BLK, 8, 0, M))).toBe(1);
    expect(run(p, req(CHR, 10, 229, R | W))).toBe(0); // /dev/fuse
    check(effectiveDeviceRules([]));
    expect(DEFAULT_ALLOWED_DEVICES.length).toBeGreaterThan(0);
  });

  it('emits 8-byte little-endian instructions: header, one block per exception, default', () => {
    const p = compileDeviceProgram([denyAll]);
    expect(p.length).toBe(8 * 8);
    expect(p.subarray(0, 8)).toEqual(Buffer.from([0x61, 0x12, 0, 0, 0, 0, 0, 0])); // r2 = *(u32 *)(r1 + 0)
    expect(p.subarray(-16)).toEqual(Buffer.from([0xb4, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0])); // w0 = 0; exit
  });
});

describe('compileDeviceProgram: random rule lists against the model', () => {
  // A small deterministic PRNG, so a failure reproduces.
  let seed = 0x5eed1234;
  const rnd = (k: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % k;
  };
  const pick = <T>(xs: T[]) => xs[rnd(xs.length)];
  const NUMS = [-1, 0, 1, 3, 5, 0x80000000, 0xffffffff];
  const ACC = ['r', 'w', 'm', 'rw', 'rm', 'wm', 'rwm', ''];

  it('600 lists of up to 12 rules', () => {
    let errors = 0;
    for (let i = 0; i < 600; i++) {
      const rules: DeviceRule[] = [];
      const len = rnd(13);
      for (let j = 0; j < len; j++) {
        const t = rnd(10);
        rules.push(rule(rnd(2) === 0, t === 0 ? 'a' : t < 6 ? 'c' : 'b', pick(NUMS), pick(NUMS), pick(ACC)));
      }
      if (model(rules) === 'error') errors++;
      check(rules, requests([0, 1, 3, 7, 0x80000000, 0xffffffff], [0, 3, 5, 0x80000000, 0xffffffff]));
    }
    // Both paths (program and refusal) were exercised.
    expect(errors).toBeGreaterThan(0);
    expect(errors).toBeLessThan(550);
  });
});
