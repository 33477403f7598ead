// Compile runtime-spec `linux.seccomp` into a classic BPF program (struct sock_filter[]), so the
// shim only has to call seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog) right before execve.
//
// Semantics follow runc 1.1 + libseccomp 2.5 where they are observable:
// - Architectures: x86_64 is always filtered (native). SCMP_ARCH_X86 adds an AUDIT_ARCH_I386 block
//   (i386 numbers), SCMP_ARCH_X32 adds the x32 range (numbers with __X32_SYSCALL_BIT) inside the
//   AUDIT_ARCH_X86_64 block. Any other audit arch, and x32 numbers when x32 is not listed, get the
//   "bad arch" action SECCOMP_RET_KILL_THREAD (libseccomp's default). Other known SCMP_ARCH_*
//   names cannot occur on an x86_64 kernel and are ignored; unknown names are errors.
// - Names unknown to an arch are skipped for that arch (runc: "not supported by this kernel").
// - A rule whose action (with its errno) equals the default action is dropped (runc does).
// - Per syscall: an unconditional rule wins over conditional ones, in either order (as with
//   runc; checked by test/integration/seccomp.test.ts); of several unconditional rules the first
//   wins; conditional rules are tried in config order, first match wins, none -> default action.
//   Known divergence: when two conditional rules with different actions BOTH match, libseccomp's
//   decision tree (not config order) picks one (seen: larger GT datum / higher argument index
//   first). Real profiles (Docker, Podman) have no such overlaps.
// - args: all conditions of one rule must hold (AND), except when two conditions name the same
//   argument index: then each condition is its own rule (OR), as runc does (Docker's profile
//   relies on it). Comparisons are unsigned and 64-bit on x86_64/x32, 32-bit (low half) on i386.
// - -ENOSYS stub (runc's patchbpf): unless the default action is ALLOW/LOG/TRACE or
//   defaultErrnoRet is ENOSYS, numbers above the largest syscall the profile names (per listed
//   arch) return ENOSYS, so new syscalls (clone3, ...) make libc fall back instead of failing.
// - i386 multiplexers (socketcall, ipc) are filtered as plain syscalls: a rule on "socket" does
//   not also match socketcall(SYS_SOCKET, ...) as libseccomp would.
import { TsrunError } from '../common/errors';
import { syscallTable, type Abi } from './syscalls-x86_64';
import { OPS, SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_FILTER_FLAGS } from './seccomp-names';

export { OPS, SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_FILTER_FLAGS };

/** What the shim needs: the sock_filter array (8 bytes per instruction, LE) and seccomp() flags. */
export interface CompiledSeccomp {
  filter: Buffer;
  flags: number;
}

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;
export const X32_SYSCALL_BIT = 0x40000000;
export const BPF_MAXINSNS = 4096;

export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000, KILL_THREAD: 0, TRAP: 0x00030000, ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000, TRACE: 0x7ff00000, LOG: 0x7ffc0000, ALLOW: 0x7fff0000,
} as const;

/** Set by tsrun when a rule notifies: seccomp() then returns the listener fd. */
export const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;

const EPERM = 1;
const ENOSYS = 38;
const BAD_ARCH = SECCOMP_RET.KILL_THREAD;

// Classic BPF opcodes used here (linux/filter.h).
const LD_W_ABS = 0x20;
const ALU_AND_K = 0x54;
const JA = 0x05;
const JEQ = 0x15;
const JGT = 0x25;
const JGE = 0x35;
const RET_K = 0x06;

// struct seccomp_data offsets: nr, arch, instruction_pointer, args[6] (u64, low half first on LE).
const OFF_NR = 0;
const OFF_ARCH = 4;
const argLo = (i: number) => 16 + 8 * i;
const argHi = (i: number) => 20 + 8 * i;

type Op = (typeof OPS)[number];

// Architectures libseccomp knows that can never be the audit arch of a syscall on x86_64.
const FOREIGN_ARCHES = new Set([
  'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
]);


/** Syscall number for `name` on `abi` (x32 numbers include the x32 bit), or undefined. */
export function syscallNumber(abi: Abi, name: string): number | undefined {
  const t = syscallTable(abi);
  if (!Object.prototype.hasOwnProperty.call(t, name)) return undefined;
  return abi === 'x32' ? (t[name] | X32_SYSCALL_BIT) >>> 0 : t[name];
}

interface Cond { index: number; op: Op; value: bigint; valueTwo: bigint }
interface Rule { conds: Cond[]; action: number }
interface SyscallRules { uncond?: number; rules: Rule[] }

type Target = { ret: number } | { at: number };

function fail(pointer: string, msg: string): never {
  throw new TsrunError(`config.json: ${pointer}: ${msg}`);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function u16(v: unknown, pointer: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff) fail(pointer, `must be an errno number from 0 to 65535, got ${JSON.stringify(v)}`);
  return v;
}

function u64(v: unknown, pointer: string): bigint {
  if (typeof v === 'bigint' && v >= 0n && v < 1n << 64n) return v;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(pointer, `must be an unsigned 64-bit integer, got ${JSON.stringify(v)}`);
  const b = BigInt(v);
  // JSON.parse rounds 2^64-1 (and its neighbours) up to 2^64: that can only have meant the maximum.
  if (b === 1n << 64n) return (1n << 64n) - 1n;
  if (b > 1n << 64n) fail(pointer, `must be an unsigned 64-bit integer, got ${v}`);
  return b;
}

/** SECCOMP_RET_* value of a spec action; `errnoRet` applies to ERRNO and TRACE (EPERM when unset, as runc). */
function actionValue(action: unknown, errnoRet: number | undefined, pointer: string): number {
  if (typeof action !== 'string') fail(pointer, `must be a string, got ${JSON.stringify(action)}`);
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_ERRNO': return (SECCOMP_RET.ERRNO | (errnoRet ?? EPERM)) >>> 0;
    case 'SCMP_ACT_TRACE': return (SECCOMP_RET.TRACE | (errnoRet ?? EPERM)) >>> 0;
    case 'SCMP_ACT_LOG': return SECCOMP_RET.LOG;
    case 'SCMP_ACT_ALLOW': return SECCOMP_RET.ALLOW;
    case 'SCMP_ACT_NOTIFY': return SECCOMP_RET.USER_NOTIF;
    default:
      fail(pointer, `unknown seccomp action ${JSON.stringify(action)}`);
  }
}

function usesNotify(seccomp: Record<string, unknown>): boolean {
  if (seccomp.defaultAction === 'SCMP_ACT_NOTIFY') return true;
  return Array.isArray(seccomp.syscalls) && seccomp.syscalls.some((r) => isObj(r) && r.action === 'SCMP_ACT_NOTIFY');
}

/** Builds the program backwards so that every jump target is already placed when the jump is emitted. */
class ReverseAssembler {
  /** Instructions in reverse program order; an instruction's label is its index here. */
  private rev: { code: number; jt: number; jf: number; k: number }[] = [];
  private lastRet = new Map<number, number>();

  get head(): number {
    return this.rev.length - 1;
  }

  private push(code: number, jt: number, jf: number, k: number): number {
    this.rev.push({ code, jt, jf, k: k >>> 0 });
    return this.rev.length - 1;
  }

  ret(action: number): number {
    const at = this.push(RET_K, 0, 0, action);
    this.lastRet.set(action, at);
    return at;
  }

  /** Prepend a non-jump instruction (falls through to the current head). */
  stmt(code: number, k: number): number {
    return this.push(code, 0, 0, k);
  }

  /** Label for a target, reachable by an 8-bit offset from the next instruction (adds a ret or ja if not). */
  private near(t: Target, slack: number): number {
    const r = this.rev.length + slack;
    if ('ret' in t) {
      const at = this.lastRet.get(t.ret);
      if (at !== undefined && r - at - 1 <= 255) return at;
      return this.ret(t.ret);
    }
    if (r - t.at - 1 <= 255) return t.at;
    return this.push(JA, 0, 0, this.rev.length - t.at - 1);
  }

  jump(code: number, k: number, jt: Target, jf: Target): Target {
    // Each call to near() may insert one instruction: leave room for the other one's insertion.
    const f = this.near(jf, 1);
    const t = this.near(jt, 0);
    const r = this.rev.length;
    const ot = r - t - 1;
    const of = r - f - 1;
    if (ot > 255 || of > 255) throw new Error('seccomp: internal error: jump offset out of range');
    return { at: this.push(code, ot, of, k) };
  }

  /** Make `t` the instruction that the next prepended instruction falls through to. */
  fallInto(t: Target): void {
    if ('at' in t && t.at === this.head) return;
    if ('ret' in t) this.ret(t.ret);
    else this.push(JA, 0, 0, this.rev.length - t.at - 1);
  }

  get length(): number {
    return this.rev.length;
  }

  build(): Buffer {
    const buf = Buffer.alloc(this.rev.length * 8);
    this.rev
      .slice()
      .reverse()
      .forEach((ins, i) => {
        buf.writeUInt16LE(ins.code, i * 8);
        buf.writeUInt8(ins.jt, i * 8 + 2);
        buf.writeUInt8(ins.jf, i * 8 + 3);
        buf.writeUInt32LE(ins.k, i * 8 + 4);
      });
    return buf;
  }
}

const hi32 = (v: bigint) => Number((v >> 32n) & 0xffffffffn);
const lo32 = (v: bigint) => Number(v & 0xffffffffn);

/** Emit one argument condition; returns its entry. `wide`: compare all 64 bits, else the low 32. */
function emitCond(a: ReverseAssembler, c: Cond, wide: boolean, match: Target, no: Target): Target {
  const masked = c.op === 'SCMP_CMP_MASKED_EQ';
  // For MASKED_EQ the spec's value is the mask and valueTwo the datum.
  const datum = masked ? c.valueTwo : c.value;
  const lo = lo32(datum);
  const hi = hi32(datum);

  // Low half: decides the result when the high halves are equal (or on a 32-bit arch).
  const low = (): Target => {
    switch (c.op) {
      case 'SCMP_CMP_EQ': case 'SCMP_CMP_MASKED_EQ': a.jump(JEQ, lo, match, no); break;
      case 'SCMP_CMP_NE': a.jump(JEQ, lo, no, match); break;
      case 'SCMP_CMP_GT': a.jump(JGT, lo, match, no); break;
      case 'SCMP_CMP_GE': a.jump(JGE, lo, match, no); break;
      case 'SCMP_CMP_LT': a.jump(JGE, lo, no, match); break;
      case 'SCMP_CMP_LE': a.jump(JGT, lo, no, match); break;
    }
    if (masked) a.stmt(ALU_AND_K, lo32(c.value));
    return { at: a.stmt(LD_W_ABS, argLo(c.index)) };
  };
  const lowEntry = low();
  if (!wide) return lowEntry;

  // High half: strictly greater/less settles ordered comparisons; inequality settles (N)EQ.
  switch (c.op) {
    case 'SCMP_CMP_EQ': case 'SCMP_CMP_MASKED_EQ': a.jump(JEQ, hi, lowEntry, no); break;
    case 'SCMP_CMP_NE': a.jump(JEQ, hi, lowEntry, match); break;
    case 'SCMP_CMP_GT': case 'SCMP_CMP_GE': {
      const eq = a.jump(JEQ, hi, lowEntry, no);
      a.jump(JGT, hi, match, eq);
      break;
    }
    case 'SCMP_CMP_LT': case 'SCMP_CMP_LE': {
      const eq = a.jump(JEQ, hi, lowEntry, match);
      a.jump(JGT, hi, no, eq);
      break;
    }
  }
  if (masked) a.stmt(ALU_AND_K, hi32(c.value));
  return { at: a.stmt(LD_W_ABS, argHi(c.index)) };
}

/** Emit the handler for one syscall number (A no longer matters there); returns its entry. */
function emitHandler(a: ReverseAssembler, s: SyscallRules, wide: boolean, dflt: number): Target {
  if (s.uncond !== undefined) return { ret: s.uncond };
  let next: Target = { ret: dflt };
  for (let i = s.rules.length - 1; i >= 0; i--) {
    const rule = s.rules[i];
    let ok: Target = { ret: rule.action };
    for (let j = rule.conds.length - 1; j >= 0; j--) ok = emitCond(a, rule.conds[j], wide, ok, next);
    next = ok;
  }
  return next;
}

interface Piece { start: number; target: Target }

const sameTarget = (x: Target, y: Target) => ('ret' in x && 'ret' in y ? x.ret === y.ret : 'at' in x && 'at' in y && x.at === y.at);

/** Binary search over the syscall-number intervals [start_i, start_{i+1}) with A = nr. */
function emitTree(a: ReverseAssembler, p: Piece[], lo: number, hi: number): Target {
  if (lo === hi) return p[lo].target;
  const mid = (lo + hi + 1) >> 1;
  const right = emitTree(a, p, mid, hi);
  const left = emitTree(a, p, lo, mid - 1);
  return a.jump(JGE, p[mid].start, right, left);
}

interface AbiPlan { abi: Abi; rules: Map<number, SyscallRules>; enosysAbove?: number }

/**
 * Emit the syscall dispatch for one audit arch: `ranges` lists the ABIs that own parts of the
 * number space [0, 2^32) (start of the range; a range with no ABI gets `BAD_ARCH`).
 */
function emitArch(a: ReverseAssembler, ranges: { start: number; abi?: AbiPlan }[], dflt: number): Target {
  const pieces: Piece[] = [];
  // Pieces ascend by start; a later piece at the same start replaces the earlier one, and a piece
  // with its predecessor's target just extends it.
  const add = (start: number, target: Target) => {
    while (pieces.length && pieces[pieces.length - 1].start === start) pieces.pop();
    const prev = pieces[pieces.length - 1];
    if (!prev || !sameTarget(prev.target, target)) pieces.push({ start, target });
  };
  for (let ri = 0; ri < ranges.length; ri++) {
    const { start, abi } = ranges[ri];
    const end = ri + 1 < ranges.length ? ranges[ri + 1].start : 0x100000000;
    if (!abi) {
      add(start, { ret: BAD_ARCH });
      continue;
    }
    add(start, { ret: dflt });
    const wide = abi.abi !== 'i386';
    for (const nr of [...abi.rules.keys()].sort((x, y) => x - y)) {
      add(nr, emitHandler(a, abi.rules.get(nr)!, wide, dflt));
      if (nr + 1 < end) add(nr + 1, { ret: dflt });
    }
    if (abi.enosysAbove !== undefined && abi.enosysAbove + 1 < end) {
      add(abi.enosysAbove + 1, { ret: (SECCOMP_RET.ERRNO | ENOSYS) >>> 0 });
    }
  }
  return emitTree(a, pieces, 0, pieces.length - 1);
}

/**
 * Compile `linux.seccomp` (already schema-validated, but checked again here for the values the
 * schema lets through) into a BPF program. Returns null when seccomp is absent.
 */
export function compileSeccomp(seccomp: unknown, pointer = '/linux/seccomp'): CompiledSeccomp | null {
  if (seccomp === undefined || seccomp === null) return null;
  if (!isObj(seccomp)) fail(pointer, 'must be an object');

  const defaultErrnoRet = seccomp.defaultErrnoRet === undefined ? undefined : u16(seccomp.defaultErrnoRet, `${pointer}/defaultErrnoRet`);
  if (seccomp.defaultAction === undefined) fail(`${pointer}/defaultAction`, 'is required');
  const dflt = actionValue(seccomp.defaultAction, defaultErrnoRet, `${pointer}/defaultAction`);

  let flags = 0;
  if (seccomp.flags !== undefined) {
    if (!Array.isArray(seccomp.flags)) fail(`${pointer}/flags`, 'must be an array');
    seccomp.flags.forEach((f, i) => {
      if (typeof f !== 'string' || !Object.prototype.hasOwnProperty.call(SECCOMP_FILTER_FLAGS, f)) {
        fail(`${pointer}/flags/${i}`, `unsupported seccomp filter flag ${JSON.stringify(f)} (supported: ${Object.keys(SECCOMP_FILTER_FLAGS).join(', ')})`);
      }
      flags |= SECCOMP_FILTER_FLAGS[f];
    });
  }

  // Which ABIs are filtered, and which the config lists (only those get the ENOSYS stub, as in runc).
  const listed = new Set<Abi>();
  if (seccomp.architectures !== undefined) {
    if (!Array.isArray(seccomp.architectures)) fail(`${pointer}/architectures`, 'must be an array');
    seccomp.architectures.forEach((arch, i) => {
      if (arch === 'SCMP_ARCH_X86_64' || arch === 'SCMP_ARCH_NATIVE') listed.add('x86_64');
      else if (arch === 'SCMP_ARCH_X86') listed.add('i386');
      else if (arch === 'SCMP_ARCH_X32') listed.add('x32');
      else if (typeof arch !== 'string' || !FOREIGN_ARCHES.has(arch)) fail(`${pointer}/architectures/${i}`, `unknown seccomp architecture ${JSON.stringify(arch)}`);
    });
  }
  const abis: Abi[] = ['x86_64', ...(['x32', 'i386'] as const).filter((x) => listed.has(x))];
  const plans = new Map<Abi, AbiPlan>(abis.map((abi) => [abi, { abi, rules: new Map() }]));
  const maxNr = new Map<Abi, number>();

  const syscalls = seccomp.syscalls ?? [];
  if (!Array.isArray(syscalls)) fail(`${pointer}/syscalls`, 'must be an array');
  syscalls.forEach((sc, i) => {
    const p = `${pointer}/syscalls/${i}`;
    if (!isObj(sc)) fail(p, 'must be an object');
    if (!Array.isArray(sc.names) || sc.names.length === 0) fail(`${p}/names`, 'must be a non-empty array of syscall names');
    const errnoRet = sc.errnoRet === undefined ? undefined : u16(sc.errnoRet, `${p}/errnoRet`);
    if (sc.action === undefined) fail(`${p}/action`, 'is required');
    const action = actionValue(sc.action, errnoRet, `${p}/action`);

    const conds: Cond[] = [];
    if (sc.args !== undefined) {
      if (!Array.isArray(sc.args)) fail(`${p}/args`, 'must be an array');
      sc.args.forEach((arg, j) => {
        const ap = `${p}/args/${j}`;
        if (!isObj(arg)) fail(ap, 'must be an object');
        const index = arg.index;
        if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 5) fail(`${ap}/index`, `must be an argument index from 0 to 5, got ${JSON.stringify(index)}`);
        if (!(OPS as readonly unknown[]).includes(arg.op)) fail(`${ap}/op`, `unknown seccomp operator ${JSON.stringify(arg.op)} (expected one of ${OPS.join(', ')})`);
        if (arg.value === undefined) fail(`${ap}/value`, 'is required');
        const value = u64(arg.value, `${ap}/value`);
        const valueTwo = arg.valueTwo === undefined ? 0n : u64(arg.valueTwo, `${ap}/valueTwo`);
        conds.push({ index, op: arg.op as Op, value, valueTwo });
      });
    }
    // Same index twice: runc adds each condition as a rule of its own (OR), else one AND rule.
    const perIndex = new Set(conds.map((c) => c.index));
    const ruleConds = perIndex.size < conds.length ? conds.map((c) => [c]) : [conds];

    sc.names.forEach((name, j) => {
      if (typeof name !== 'string' || name === '') fail(`${p}/names/${j}`, `must be a syscall name, got ${JSON.stringify(name)}`);
      for (const abi of abis) {
        const nr = syscallNumber(abi, name);
        if (nr === undefined) continue; // unknown to this arch: skipped, as runc/libseccomp do
        maxNr.set(abi, Math.max(maxNr.get(abi) ?? -1, nr));
        if (action === dflt) continue;
        const rules = plans.get(abi)!.rules;
        let s = rules.get(nr);
        if (!s) rules.set(nr, (s = { rules: [] }));
        if (conds.length === 0) s.uncond ??= action;
        else for (const cs of ruleConds) s.rules.push({ conds: cs, action });
      }
    });
  });

  const permissive = dflt === SECCOMP_RET.ALLOW || dflt === SECCOMP_RET.LOG || (dflt & 0xffff0000) >>> 0 === SECCOMP_RET.TRACE;
  if (!permissive && defaultErrnoRet !== ENOSYS) {
    for (const abi of listed) {
      const m = maxNr.get(abi);
      if (m !== undefined) plans.get(abi)!.enosysAbove = m;
    }
  }

  // Layout: ld arch; jeq X86_64 -> B64; [jeq I386 -> B32]; ret BAD_ARCH; B64: ld nr; tree; B32: ld nr; tree.
  const a = new ReverseAssembler();
  let b32: Target | undefined;
  if (plans.has('i386')) {
    a.fallInto(emitArch(a, [{ start: 0, abi: plans.get('i386') }], dflt));
    b32 = { at: a.stmt(LD_W_ABS, OFF_NR) };
  }
  a.fallInto(emitArch(a, [{ start: 0, abi: plans.get('x86_64') }, { start: X32_SYSCALL_BIT, abi: plans.get('x32') }], dflt));
  const b64: Target = { at: a.stmt(LD_W_ABS, OFF_NR) };
  let other: Target = { ret: BAD_ARCH };
  if (b32) other = a.jump(JEQ, AUDIT_ARCH_I386, b32, other);
  a.fallInto(a.jump(JEQ, AUDIT_ARCH_X86_64, b64, other));
  a.stmt(LD_W_ABS, OFF_ARCH);

  if (a.length > BPF_MAXINSNS) {
    fail(pointer, `the seccomp profile needs ${a.length} BPF instructions, more than the kernel's limit of ${BPF_MAXINSNS}`);
  }
  // A notifying filter hands its listener fd to linux.seccomp.listenerPath (plan.ts).
  if (usesNotify(seccomp)) {
    if (typeof seccomp.listenerPath !== 'string' || !seccomp.listenerPath) fail(`${pointer}/listenerPath`, 'is required when an action is SCMP_ACT_NOTIFY');
    if (seccomp.defaultAction === 'SCMP_ACT_NOTIFY') fail(`${pointer}/defaultAction`, 'SCMP_ACT_NOTIFY cannot be the default action (the listener could not be reached: every syscall would wait on it)');
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  }
  return { filter: a.build(), flags };
}
