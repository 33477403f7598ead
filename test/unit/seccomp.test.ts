// compileSeccomp: the BPF it emits is run here by a small classic-BPF interpreter (with the
// kernel verifier's structural checks) and compared with a direct model of the documented
// semantics, on hand-picked and on random profiles (the random ones force long jumps).
import { describe, expect, it } from 'vitest';
import {
  AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, BPF_MAXINSNS, SECCOMP_RET, X32_SYSCALL_BIT, compileSeccomp, syscallNumber,
} from '../../src/linux/seccomp';
import { syscallTable } from '../../src/linux/syscalls-x86_64';

const X86_64_SYSCALLS = syscallTable('x86_64');
const X32_SYSCALLS = syscallTable('x32');
const I386_SYSCALLS = syscallTable('i386');

interface Data { nr: number; arch?: number; args?: bigint[] }

/** Run a sock_filter program on seccomp_data; throws where the kernel's checker would reject it. */
function run(filter: Buffer, d: Data): number {
  const n = filter.length / 8;
  expect(Number.isInteger(n) && n > 0 && n <= BPF_MAXINSNS).toBe(true);
  const mem = Buffer.alloc(64);
  mem.writeUInt32LE(d.nr >>> 0, 0);
  mem.writeUInt32LE((d.arch ?? AUDIT_ARCH_X86_64) >>> 0, 4);
  (d.args ?? []).forEach((v, i) => mem.writeBigUInt64LE(BigInt.asUintN(64, v), 16 + 8 * i));
  let A = 0;
  for (let pc = 0, steps = 0; pc < n; pc++, steps++) {
    if (steps > n) throw new Error('loop');
    const code = filter.readUInt16LE(pc * 8);
    const jt = filter[pc * 8 + 2];
    const jf = filter[pc * 8 + 3];
    const k = filter.readUInt32LE(pc * 8 + 4);
    const jump = (cond: boolean) => {
      pc += cond ? jt : jf;
      if (pc + 1 >= n) throw new Error(`jump out of program at ${pc}`);
    };
    switch (code) {
      case 0x20: if (k % 4 || k > 60) throw new Error(`bad load ${k}`); A = mem.readUInt32LE(k); break;
      case 0x54: A = (A & k) >>> 0; break;
      case 0x05: pc += k; if (pc + 1 >= n) throw new Error('ja out of program'); break;
      case 0x15: jump(A === k); break;
      case 0x25: jump(A > k); break;
      case 0x35: jump(A >= k); break;
      case 0x06: return k;
      default: throw new Error(`unexpected opcode ${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('fell off the end');
}

const ERRNO = (e: number) => (SECCOMP_RET.ERRNO | e) >>> 0;
const KILL = SECCOMP_RET.KILL_THREAD;
const nr64 = (name: string) => X86_64_SYSCALLS[name];
const compile = (c: unknown) => compileSeccomp(c)!;

// ---- a direct model of the semantics (see the header of src/linux/seccomp.ts) ----
type Cfg = {
  defaultAction: string; defaultErrnoRet?: number; architectures?: string[];
  syscalls?: { names: string[]; action: string; errnoRet?: number; args?: { index: number; value: number | bigint; valueTwo?: number | bigint; op: string }[] }[];
};
const ACT: Record<string, number> = {
  SCMP_ACT_KILL: 0, SCMP_ACT_KILL_THREAD: 0, SCMP_ACT_KILL_PROCESS: SECCOMP_RET.KILL_PROCESS, SCMP_ACT_TRAP: SECCOMP_RET.TRAP,
  SCMP_ACT_ERRNO: SECCOMP_RET.ERRNO, SCMP_ACT_TRACE: SECCOMP_RET.TRACE, SCMP_ACT_LOG: SECCOMP_RET.LOG, SCMP_ACT_ALLOW: SECCOMP_RET.ALLOW,
};
const act = (a: string, e?: number) => (a === 'SCMP_ACT_ERRNO' || a === 'SCMP_ACT_TRACE' ? (ACT[a] | (e ?? 1)) >>> 0 : ACT[a]);

function model(cfg: Cfg, d: Data): number {
  const archs = cfg.architectures ?? [];
  const arch = d.arch ?? AUDIT_ARCH_X86_64;
  let abi: 'x86_64' | 'x32' | 'i386';
  if (arch === AUDIT_ARCH_X86_64) {
    if (d.nr >= X32_SYSCALL_BIT) {
      if (!archs.includes('SCMP_ARCH_X32')) return KILL;
      abi = 'x32';
    } else abi = 'x86_64';
  } else if (arch === AUDIT_ARCH_I386 && archs.includes('SCMP_ARCH_X86')) abi = 'i386';
  else return KILL;
  const dflt = act(cfg.defaultAction, cfg.defaultErrnoRet);
  const args = (d.args ?? []).map((v) => BigInt.asUintN(64, v));
  const wide = abi !== 'i386';
  const cmp = (c: { index: number; value: number | bigint; valueTwo?: number | bigint; op: string }) => {
    let x = args[c.index] ?? 0n;
    let v = BigInt(c.value);
    let v2 = BigInt(c.valueTwo ?? 0);
    if (!wide) [x, v, v2] = [x & 0xffffffffn, v & 0xffffffffn, v2 & 0xffffffffn];
    switch (c.op) {
      case 'SCMP_CMP_NE': return x !== v;
      case 'SCMP_CMP_LT': return x < v;
      case 'SCMP_CMP_LE': return x <= v;
      case 'SCMP_CMP_EQ': return x === v;
      case 'SCMP_CMP_GE': return x >= v;
      case 'SCMP_CMP_GT': return x > v;
      case 'SCMP_CMP_MASKED_EQ': return (x & v) === v2;
    }
    throw new Error(c.op);
  };
  const rules = (cfg.syscalls ?? []).filter((r) => r.names.some((n) => syscallNumber(abi, n) === d.nr));
  const live = rules.filter((r) => act(r.action, r.errnoRet) !== dflt);
  const uncond = live.find((r) => !r.args?.length);
  if (uncond) return act(uncond.action, uncond.errnoRet);
  for (const r of live) {
    const a = r.args!;
    const sameIndex = new Set(a.map((c) => c.index)).size < a.length;
    if (sameIndex ? a.some(cmp) : a.every(cmp)) return act(r.action, r.errnoRet);
  }
  const permissive = ['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'].includes(cfg.defaultAction);
  const listed = { x86_64: 'SCMP_ARCH_X86_64', x32: 'SCMP_ARCH_X32', i386: 'SCMP_ARCH_X86' }[abi];
  if (!permissive && cfg.defaultErrnoRet !== 38 && archs.includes(listed)) {
    const nrs = (cfg.syscalls ?? []).flatMap((r) => r.names.map((n) => syscallNumber(abi, n)).filter((x): x is number => x !== undefined));
    if (nrs.length && d.nr > Math.max(...nrs)) return ERRNO(38);
  }
  return dflt;
}

describe('compileSeccomp', () => {
  it('returns null without a seccomp section', () => {
    expect(compileSeccomp(undefined)).toBeNull();
    expect(compileSeccomp(null)).toBeNull();
  });

  it('denies one syscall under an allow default; other arches and x32 get the bad-arch kill', () => {
    const { filter, flags } = compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
    expect(flags).toBe(0);
    expect(run(filter, { nr: nr64('mkdir') })).toBe(ERRNO(1));
    expect(run(filter, { nr: nr64('mkdirat') })).toBe(SECCOMP_RET.ALLOW);
    expect(run(filter, { nr: nr64('read') })).toBe(SECCOMP_RET.ALLOW);
    expect(run(filter, { nr: 0xffff })).toBe(SECCOMP_RET.ALLOW); // unknown numbers: default (no stub with ALLOW)
    expect(run(filter, { nr: I386_SYSCALLS.mkdir, arch: AUDIT_ARCH_I386 })).toBe(KILL);
    expect(run(filter, { nr: X32_SYSCALL_BIT | X32_SYSCALLS.read })).toBe(KILL);
    expect(run(filter, { nr: 1, arch: 0xc00000b7 /* aarch64 */ })).toBe(KILL);
    expect(filter.length / 8).toBeLessThan(12);
  });

  it('filters i386 and x32 with their own numbers when listed', () => {
    const cfg = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: [{ names: ['mkdir', 'socketcall'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] };
    const { filter } = compile(cfg);
    expect(run(filter, { nr: nr64('mkdir') })).toBe(ERRNO(13));
    expect(run(filter, { nr: I386_SYSCALLS.mkdir, arch: AUDIT_ARCH_I386 })).toBe(ERRNO(13));
    expect(run(filter, { nr: I386_SYSCALLS.socketcall, arch: AUDIT_ARCH_I386 })).toBe(ERRNO(13));
    expect(run(filter, { nr: I386_SYSCALLS.rmdir, arch: AUDIT_ARCH_I386 })).toBe(SECCOMP_RET.ALLOW);
    expect(run(filter, { nr: X32_SYSCALL_BIT | X32_SYSCALLS.mkdir })).toBe(ERRNO(13));
    expect(run(filter, { nr: X32_SYSCALL_BIT | X32_SYSCALLS.read })).toBe(SECCOMP_RET.ALLOW);
    // i386's mkdir number (39) is getpid on x86_64: must not be confused.
    expect(run(filter, { nr: 39 })).toBe(SECCOMP_RET.ALLOW);
    // Foreign arches from Docker's profile are accepted and ignored.
    expect(() => compile({ ...cfg, architectures: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'] })).not.toThrow();
  });

  it('maps every action; errnoRet for ERRNO/TRACE, EPERM by default', () => {
    const cases: [string, number | undefined, number][] = [
      ['SCMP_ACT_KILL', undefined, 0], ['SCMP_ACT_KILL_THREAD', undefined, 0], ['SCMP_ACT_KILL_PROCESS', undefined, 0x80000000],
      ['SCMP_ACT_TRAP', undefined, 0x00030000], ['SCMP_ACT_ERRNO', undefined, 0x00050001], ['SCMP_ACT_ERRNO', 0, 0x00050000],
      ['SCMP_ACT_ERRNO', 22, 0x00050016], ['SCMP_ACT_TRACE', undefined, 0x7ff00001], ['SCMP_ACT_TRACE', 5, 0x7ff00005],
      ['SCMP_ACT_LOG', undefined, 0x7ffc0000], ['SCMP_ACT_ALLOW', undefined, 0x7fff0000],
    ];
    for (const [action, errnoRet, want] of cases) {
      const rule = compile({ defaultAction: action === 'SCMP_ACT_LOG' ? 'SCMP_ACT_ALLOW' : 'SCMP_ACT_LOG', syscalls: [{ names: ['getpid'], action, errnoRet }] });
      expect(run(rule.filter, { nr: nr64('getpid') }), action).toBe(want);
      const dflt = compile({ defaultAction: action, defaultErrnoRet: errnoRet });
      expect(run(dflt.filter, { nr: nr64('getpid') }), action).toBe(want);
    }
  });

  it('maps filter flags', () => {
    const c = compile({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] });
    expect(c.flags).toBe(7);
  });

  it('skips names unknown to an arch; a rule equal to the default is dropped', () => {
    const cfg: Cfg = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], syscalls: [
      { names: ['no_such_syscall', 'read', 'socketcall', 'constructor', '__proto__'], action: 'SCMP_ACT_ALLOW' },
      { names: ['write'], action: 'SCMP_ACT_ERRNO' },
    ] };
    const { filter } = compile(cfg);
    expect(run(filter, { nr: nr64('read') })).toBe(SECCOMP_RET.ALLOW);
    expect(run(filter, { nr: nr64('write') })).toBe(ERRNO(1));
    expect(run(filter, { nr: I386_SYSCALLS.socketcall, arch: AUDIT_ARCH_I386 })).toBe(SECCOMP_RET.ALLOW);
  });

  it('returns ENOSYS above the largest named syscall of each listed arch (runc stub)', () => {
    const cfg: Cfg = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'], syscalls: [{ names: ['read', 'clone'], action: 'SCMP_ACT_ALLOW' }] };
    const { filter } = compile(cfg);
    expect(run(filter, { nr: nr64('read') })).toBe(SECCOMP_RET.ALLOW);
    expect(run(filter, { nr: nr64('write') })).toBe(ERRNO(1)); // below the max: default
    expect(run(filter, { nr: nr64('clone3') })).toBe(ERRNO(38));
    expect(run(filter, { nr: 0x3fffffff })).toBe(ERRNO(38));
    expect(run(filter, { nr: X32_SYSCALL_BIT | X32_SYSCALLS.clone })).toBe(SECCOMP_RET.ALLOW);
    expect(run(filter, { nr: X32_SYSCALL_BIT | X32_SYSCALLS.write })).toBe(ERRNO(1));
    expect(run(filter, { nr: X32_SYSCALL_BIT | 500 })).toBe(ERRNO(38));
    expect(run(filter, { nr: 0xffffffff })).toBe(ERRNO(38));
    // Not without the arch listed, not with a permissive default, not when the default already is ENOSYS.
    expect(run(compile({ ...cfg, architectures: [] }).filter, { nr: nr64('clone3') })).toBe(ERRNO(1));
    expect(run(compile({ ...cfg, defaultAction: 'SCMP_ACT_LOG' }).filter, { nr: nr64('clone3') })).toBe(SECCOMP_RET.LOG);
    expect(run(compile({ ...cfg, defaultErrnoRet: 38 }).filter, { nr: nr64('clone3') })).toBe(ERRNO(38));
    expect(run(compile({ ...cfg, defaultAction: 'SCMP_ACT_KILL_PROCESS' }).filter, { nr: nr64('clone3') })).toBe(ERRNO(38));
  });

  it('compares 64-bit arguments with every operator', () => {
    const vals = [0n, 1n, 2n, 0xfffffffen, 0xffffffffn, 0x100000000n, 0x100000001n, 0x1ffffffffn, 0x7fffffffffffffffn, 0xffffffff00000000n, 0xfffffffffffffffen, 0xffffffffffffffffn];
    for (const op of ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT']) {
      for (const v of vals) {
        const cfg: Cfg = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86'], syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 2, value: v, op }] }] };
        const { filter } = compile(cfg);
        for (const x of vals) {
          for (const d of [{ nr: nr64('personality'), args: [0n, 0n, x] }, { nr: I386_SYSCALLS.personality, arch: AUDIT_ARCH_I386, args: [0n, 0n, x] }]) {
            expect(run(filter, d), `${op} ${v} ${x} ${d.arch ?? ''}`).toBe(model(cfg, d));
          }
        }
      }
    }
  });

  it('MASKED_EQ masks with value and compares with valueTwo', () => {
    const cfg: Cfg = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] }] };
    const { filter } = compile(cfg);
    expect(run(filter, { nr: nr64('clone'), args: [0x11n] })).toBe(ERRNO(1));
    expect(run(filter, { nr: nr64('clone'), args: [0x10000011n] })).toBe(SECCOMP_RET.ALLOW); // CLONE_NEWUSER
    expect(run(filter, { nr: nr64('clone'), args: [0x1_00000011n] })).toBe(ERRNO(1)); // high bits are outside the mask
  });

  it('ANDs conditions on different arguments, ORs conditions on the same one (runc)', () => {
    const and: Cfg = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }, { index: 1, value: 1, op: 'SCMP_CMP_EQ' }] }] };
    expect(run(compile(and).filter, { nr: nr64('socket'), args: [2n, 1n] })).toBe(ERRNO(1));
    expect(run(compile(and).filter, { nr: nr64('socket'), args: [2n, 2n] })).toBe(SECCOMP_RET.ALLOW);
    const or: Cfg = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }, { index: 0, value: 8, op: 'SCMP_CMP_EQ' }] }] };
    for (const x of [0n, 8n, 9n]) expect(run(compile(or).filter, { nr: nr64('personality'), args: [x] })).toBe(x === 9n ? ERRNO(1) : SECCOMP_RET.ALLOW);
  });

  it('an unconditional rule wins over conditional ones; conditional rules match in order', () => {
    const cfg: Cfg = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [
      { names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW' },
      { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 3, args: [{ index: 1, value: 9, op: 'SCMP_CMP_EQ' }] },
      { names: ['kill'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 10, op: 'SCMP_CMP_LT' }] },
    ] };
    const { filter } = compile(cfg);
    expect(run(filter, { nr: nr64('socket'), args: [2n] })).toBe(SECCOMP_RET.ALLOW);
    expect(run(filter, { nr: nr64('kill'), args: [1n, 9n] })).toBe(ERRNO(3));
    expect(run(filter, { nr: nr64('kill'), args: [1n, 8n] })).toBe(SECCOMP_RET.ALLOW);
    expect(run(filter, { nr: nr64('kill'), args: [1n, 15n] })).toBe(ERRNO(1));
  });

  it('SCMP_ACT_NOTIFY asks the kernel for a listener fd (SECCOMP_FILTER_FLAG_NEW_LISTENER)', () => {
    const c = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/l.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] })!;
    expect(c.flags & 8).toBe(8);
    expect(c.filter.includes(Buffer.from([0x00, 0x00, 0xc0, 0x7f]))).toBe(true); // SECCOMP_RET_USER_NOTIF (LE)
    expect(compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] })!.flags & 8).toBe(0);
  });

  it('reports bad input with a JSON pointer', () => {
    const bad = (c: unknown, msg: string) => expect(() => compileSeccomp(c)).toThrow(msg);
    bad({}, 'config.json: /linux/seccomp/defaultAction: is required');
    bad({ defaultAction: 'SCMP_ACT_NOPE' }, 'config.json: /linux/seccomp/defaultAction: unknown seccomp action "SCMP_ACT_NOPE"');
    bad({ defaultAction: 'SCMP_ACT_NOTIFY' }, '/linux/seccomp/listenerPath: is required when an action is SCMP_ACT_NOTIFY');
    bad({ defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/l.sock' }, '/linux/seccomp/defaultAction: SCMP_ACT_NOTIFY cannot be the default action');
    bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }, { names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }, '/linux/seccomp/listenerPath: is required');
    bad({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_Z80'] }, '/linux/seccomp/architectures/0: unknown seccomp architecture "SCMP_ARCH_Z80"');
    bad({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER'] }, '/linux/seccomp/flags/0: unsupported seccomp filter flag');
    bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read', ''], action: 'SCMP_ACT_ERRNO' }] }, '/linux/seccomp/syscalls/0/names/1: must be a syscall name');
    bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_LIKE' }] }] }, '/linux/seccomp/syscalls/0/args/0/op: unknown seccomp operator "SCMP_CMP_LIKE"');
    bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }, '/linux/seccomp/syscalls/0/args/0/index: must be an argument index from 0 to 5');
    bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }] }, '/linux/seccomp/syscalls/0/args/0/value: must be an unsigned 64-bit integer');
    bad({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 70000 }, '/linux/seccomp/defaultErrnoRet: must be an errno number');
    expect(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' }, '/x')).not.toThrow();
    bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] }, '/linux/seccomp/syscalls/0/names: must be a non-empty array');
  });

  it('reads 2^64-1 written in JSON (rounded to 2^64 by JSON.parse) as the maximum', () => {
    const cfg = JSON.parse('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]}');
    const { filter } = compile(cfg);
    expect(run(filter, { nr: 0, args: [0xffffffffffffffffn] })).toBe(ERRNO(1));
    expect(run(filter, { nr: 0, args: [0n] })).toBe(SECCOMP_RET.ALLOW);
  });

  it('refuses a profile beyond the kernel limit of 4096 instructions', () => {
    const names = Object.keys(X86_64_SYSCALLS);
    const syscalls = names.map((n) => ({ names: [n], action: 'SCMP_ACT_ERRNO', args: [0, 1, 2].map((index) => ({ index, value: 0x123456789n, op: 'SCMP_CMP_GT' })) }));
    expect(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls })).toThrow(/\/linux\/seccomp: the seccomp profile needs \d+ BPF instructions, more than the kernel's limit of 4096/);
  });

  it('a Docker-like profile (large allow-list, three arches, conditional rules) stays compact and correct', () => {
    const cfg = dockerLike();
    const { filter } = compile(cfg);
    expect(filter.length / 8).toBeLessThan(600);
    for (const [abi, arch, table, bit] of [['x86_64', AUDIT_ARCH_X86_64, X86_64_SYSCALLS, 0], ['x32', AUDIT_ARCH_X86_64, X32_SYSCALLS, X32_SYSCALL_BIT], ['i386', AUDIT_ARCH_I386, I386_SYSCALLS, 0]] as const) {
      for (const base of [...Object.values(table), 600, 1000]) {
        for (const a0 of [0n, 8n, 0x20000n, 0x10000000n, 0xffffffffn, 2n, 16n]) {
          const d = { nr: (base | bit) >>> 0, arch, args: [a0, 1n] };
          expect(run(filter, d), `${abi} ${base} ${a0}`).toBe(model(cfg, d));
        }
      }
    }
  });

  it('agrees with the model on random profiles (long jumps, many conditions)', () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const names = Object.keys(X86_64_SYSCALLS);
    const ops = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
    const acts = ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'];
    const vals = [0n, 1n, 2n, 3n, 0xffffffffn, 0x100000000n, 0x100000002n, 0xffffffffffffffffn];
    for (let round = 0; round < 25; round++) {
      const cfg: Cfg = {
        defaultAction: acts[rnd(acts.length)],
        defaultErrnoRet: rnd(3) === 0 ? 38 : undefined,
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'].filter(() => rnd(2)),
        syscalls: [],
      };
      const nrules = 20 + rnd(200);
      for (let i = 0; i < nrules; i++) {
        const nargs = rnd(3) === 0 ? 0 : rnd(3) + 1;
        cfg.syscalls!.push({
          names: Array.from({ length: 1 + rnd(3) }, () => names[rnd(60)]),
          action: acts[rnd(acts.length)], errnoRet: rnd(2) ? rnd(100) : undefined,
          args: Array.from({ length: nargs }, () => ({ index: rnd(3), value: vals[rnd(vals.length)], valueTwo: vals[rnd(vals.length)], op: ops[rnd(ops.length)] })),
        });
      }
      const { filter } = compile(cfg);
      for (let t = 0; t < 400; t++) {
        const arch = rnd(4) === 0 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
        const nr = (rnd(8) === 0 ? X32_SYSCALL_BIT : 0) + (rnd(10) === 0 ? rnd(1000) : rnd(65));
        const d = { nr, arch, args: [vals[rnd(8)], vals[rnd(8)], vals[rnd(8)]] };
        expect(run(filter, d), `round ${round} ${JSON.stringify({ nr, arch })}`).toBe(model(cfg, d));
      }
    }
  });
});

/** The shape of Docker's default profile, built here: an allow-list plus conditional rules. */
export function dockerLike(): Cfg {
  const deny = new Set(['acct', 'add_key', 'bpf', 'clock_adjtime', 'clock_settime', 'create_module', 'delete_module', 'finit_module',
    'get_kernel_syms', 'get_mempolicy', 'init_module', 'ioperm', 'iopl', 'kcmp', 'kexec_file_load', 'kexec_load', 'keyctl',
    'lookup_dcookie', 'mbind', 'mount', 'move_pages', 'nfsservctl', 'open_by_handle_at', 'perf_event_open', 'personality',
    'pivot_root', 'process_vm_readv', 'process_vm_writev', 'ptrace', 'query_module', 'quotactl', 'reboot', 'request_key',
    'set_mempolicy', 'setns', 'settimeofday', 'stime', 'swapon', 'swapoff', 'sysfs', '_sysctl', 'umount', 'umount2', 'unshare',
    'uselib', 'userfaultfd', 'ustat', 'vm86', 'vm86old', 'clone', 'clone3', 'socket', 'fsconfig', 'fsmount', 'fsopen',
    'open_tree', 'move_mount', 'mount_setattr', 'syslog', 'name_to_handle_at', 'chroot']);
  const all = [...new Set([...Object.keys(X86_64_SYSCALLS), ...Object.keys(I386_SYSCALLS)])].filter((n) => !deny.has(n));
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: all, action: 'SCMP_ACT_ALLOW' },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x20000, op: 'SCMP_CMP_EQ' }] },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_EQ' }] },
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 16, op: 'SCMP_CMP_NE' }] },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 16, op: 'SCMP_CMP_EQ' }, { index: 2, value: 9, op: 'SCMP_CMP_NE' }] },
    ],
  };
}
