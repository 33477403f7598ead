// cgroup v2 has no devices.allow/deny files: device access is decided by an eBPF program of
// type BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup. This file turns the ordered rule
// list (effectiveDeviceRules) into that program; the shim (native-shim/bpf.c) loads and
// attaches it.
//
// Semantics are those of the v1 devices controller, which is what runc and crun emulate too,
// so a config means the same on v1 and v2:
// - The rules are first replayed on a model of a v1 devices cgroup: a type "a" rule resets it
//   to allow-all (allow) or deny-all (deny) and drops every exception, whatever its numbers and
//   access say. Other rules add an exception when their action differs from the default, or
//   strip their access bits from the exception with exactly the same type:major:minor when it
//   equals the default (as the kernel does: nothing else is touched).
// - Removing access that a broader wildcard exception still grants ("allow c *:* rwm" then
//   "deny c 1:3 rwm") is an error, as in runc: v1 would silently keep allowing it.
// - Check: in deny-all mode a request is allowed when ONE exception matches its device and
//   grants every requested access bit; in allow-all mode it is denied when an exception matches
//   its device and shares ANY requested bit (v1's match_exception_partial). runc checks deny
//   exceptions by subset too, so there an open(O_RDWR) passes "deny c 1:3 w"; here it does not.
//   Every exception of one program has the same action, so their order does not matter.
import { loadNative } from '../../native/shim';
import { TsrunError } from '../../common/errors';
import type { DeviceRule } from './convert';

// include/uapi/linux/bpf.h
export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;
const ACC_ALL = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

/** One exception of the emulated v1 cgroup: type c/b, major/minor -1 for "*", access bits. */
export interface DeviceException {
  type: 'c' | 'b';
  major: number;
  minor: number;
  access: number;
}

export interface EmulatedDevices {
  /** true: allow-all with deny exceptions; false: deny-all with allow exceptions. */
  defaultAllow: boolean;
  exceptions: DeviceException[];
}

/** "rwm" subset -> BPF_DEVCG_ACC_* bits; an empty string means all, as in convert.ts. */
export function accessBits(access: string): number {
  if (!/^[rwm]*$/.test(access)) throw new TsrunError(`linux.resources.devices: invalid access "${access}"`);
  if (!access) return ACC_ALL;
  let bits = 0;
  if (access.includes('r')) bits |= BPF_DEVCG_ACC_READ;
  if (access.includes('w')) bits |= BPF_DEVCG_ACC_WRITE;
  if (access.includes('m')) bits |= BPF_DEVCG_ACC_MKNOD;
  return bits;
}

/** -1 (or any negative) = wildcard; otherwise a u32, as the kernel's dev ctx holds. */
function devNumber(n: number, what: string, r: DeviceRule): number {
  if (!Number.isInteger(n) || n > 0xffffffff) {
    throw new TsrunError(`linux.resources.devices: invalid ${what} ${n} in rule "${r.type} ${r.major}:${r.minor} ${r.access}"`);
  }
  return n < 0 ? -1 : n;
}

const ruleText = (e: { type: string; major: number; minor: number }) =>
  `${e.type} ${e.major < 0 ? '*' : e.major}:${e.minor < 0 ? '*' : e.minor}`;
const accText = (bits: number) =>
  (bits & BPF_DEVCG_ACC_READ ? 'r' : '') + (bits & BPF_DEVCG_ACC_WRITE ? 'w' : '') + (bits & BPF_DEVCG_ACC_MKNOD ? 'm' : '');

/** Replay the rules on a model of a v1 devices cgroup (which starts as allow-all). */
export function emulateDeviceRules(rules: DeviceRule[]): EmulatedDevices {
  let defaultAllow = true;
  // Keyed by "type major minor"; Map keeps insertion order, so the program is deterministic.
  let ex = new Map<string, DeviceException>();
  for (const r of rules) {
    if (r.type === 'a') {
      defaultAllow = r.allow;
      ex = new Map();
      continue;
    }
    if (r.type !== 'c' && r.type !== 'b') throw new TsrunError(`linux.resources.devices: invalid type "${String(r.type)}"`);
    const e: DeviceException = {
      type: r.type, major: devNumber(r.major, 'major', r), minor: devNumber(r.minor, 'minor', r), access: accessBits(r.access),
    };
    const key = `${e.type} ${e.major} ${e.minor}`;
    const cur = ex.get(key);
    if (r.allow !== defaultAllow) {
      // Same device: the kernel merges the access bits into the existing exception.
      if (cur) cur.access |= e.access;
      else ex.set(key, e);
      continue;
    }
    for (const [maj, min] of [[-1, e.minor], [e.major, -1], [-1, -1]]) {
      if (maj === e.major && min === e.minor) continue;
      const wide = ex.get(`${e.type} ${maj} ${min}`);
      if (wide && wide.access & e.access) {
        throw new TsrunError(
          `linux.resources.devices: rule "${r.allow ? 'allow' : 'deny'} ${ruleText(e)} ${accText(e.access)}" cannot take ` +
          `access away from the wider rule "${ruleText(wide)} ${accText(wide.access)}" (cgroup v1 ignores such rules; narrow the wider rule instead)`,
        );
      }
    }
    if (cur) {
      cur.access &= ~e.access;
      if (!cur.access) ex.delete(key);
    }
  }
  return { defaultAllow, exceptions: [...ex.values()] };
}

// eBPF opcodes (include/uapi/linux/bpf_common.h, bpf.h).
const LDX_MEM_W = 0x61; // dst = *(u32 *)(src + off)
const ALU64_AND_K = 0x57;
const ALU64_RSH_K = 0x77;
const ALU64_MOV_X = 0xbf;
const ALU_MOV_K = 0xb4; // 32-bit mov: zero-extends, so any u32 fits in a register
const JMP_JNE_K = 0x55;
const JMP_JNE_X = 0x5d;
const JMP_JEQ_K = 0x15;
const JMP_JSET_K = 0x45;
const EXIT = 0x95;
const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

/** struct bpf_insn: u8 code; u8 dst_reg:4, src_reg:4; s16 off; s32 imm. */
interface Insn { code: number; dst: number; src: number; off: number; imm: number }
const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

/**
 * Device numbers come from the context as u32 (zero-extended to 64 bits), while a JMP's
 * immediate is sign-extended: values >= 2^31 are compared against a register instead.
 */
function jumpIfNot(reg: number, value: number): Insn[] {
  if (value <= 0x7fffffff) return [insn(JMP_JNE_K, reg, 0, 0, value)];
  return [insn(ALU_MOV_K, R1, 0, 0, value | 0), insn(JMP_JNE_X, reg, R1, 0, 0)];
}

/** The checks of one exception; every jump lands on the first instruction after the block. */
function block(e: DeviceException, defaultAllow: boolean): Insn[] {
  const out: Insn[] = [];
  const jumps: Insn[] = [];
  // A check is one or two instructions; its last one is the jump to patch.
  const cond = (...is: Insn[]) => {
    out.push(...is);
    jumps.push(is[is.length - 1]);
  };
  cond(insn(JMP_JNE_K, R2, 0, 0, e.type === 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
  if (!defaultAllow) {
    // Allow exception: every requested bit must be granted.
    if (e.access !== ACC_ALL) cond(insn(JMP_JSET_K, R3, 0, 0, ~e.access & ACC_ALL));
  } else {
    // Deny exception: any shared bit denies (v1's partial match).
    if (e.access !== ACC_ALL) {
      out.push(insn(ALU64_MOV_X, R1, R3, 0, 0), insn(ALU64_AND_K, R1, 0, 0, e.access));
      cond(insn(JMP_JEQ_K, R1, 0, 0, 0));
    }
  }
  if (e.major >= 0) cond(...jumpIfNot(R4, e.major));
  if (e.minor >= 0) cond(...jumpIfNot(R5, e.minor));
  out.push(insn(ALU_MOV_K, R0, 0, 0, defaultAllow ? 0 : 1), insn(EXIT, 0, 0, 0, 0));
  // Offsets are relative to the instruction after the jump.
  for (const j of jumps) j.off = out.length - out.indexOf(j) - 1;
  return out;
}

/**
 * Compile ordered device rules into a BPF_PROG_TYPE_CGROUP_DEVICE program: struct bpf_insn[]
 * (8 bytes each, little-endian) returning 1 to allow the access and 0 to deny it.
 */
export function compileDeviceProgram(rules: DeviceRule[]): Buffer {
  const { defaultAllow, exceptions } = emulateDeviceRules(rules);
  // struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major; u32 minor; }
  const prog: Insn[] = [
    insn(LDX_MEM_W, R2, R1, 0, 0),
    insn(ALU64_MOV_X, R3, R2, 0, 0),
    insn(ALU64_AND_K, R2, 0, 0, 0xffff),
    insn(ALU64_RSH_K, R3, 0, 0, 16),
    insn(LDX_MEM_W, R4, R1, 4, 0),
    insn(LDX_MEM_W, R5, R1, 8, 0),
  ];
  for (const e of exceptions) prog.push(...block(e, defaultAllow));
  prog.push(insn(ALU_MOV_K, R0, 0, 0, defaultAllow ? 1 : 0), insn(EXIT, 0, 0, 0, 0));
  const buf = Buffer.alloc(prog.length * 8);
  prog.forEach((i, n) => {
    buf[n * 8] = i.code;
    buf[n * 8 + 1] = (i.src << 4) | i.dst;
    buf.writeInt16LE(i.off, n * 8 + 2);
    buf.writeInt32LE(i.imm, n * 8 + 4);
  });
  return buf;
}

/**
 * Compile the rules and attach the program to a cgroup2 directory, replacing the device
 * programs attached there before (the new one is attached first, so there is no moment
 * without a filter). Rootless: a refused attach is not an error (runc: the user namespace's
 * device nodes are what it can reach anyway).
 */
export function attachDeviceRules(cgroupDir: string, rules: DeviceRule[], opts: { rootless?: boolean } = {}): void {
  const insns = compileDeviceProgram(rules);
  try {
    // koffi and the shim are loaded here, on first use, not when this module is imported.
    loadNative().attachDeviceProgram(insns, cgroupDir);
  } catch (e) {
    if (e instanceof TsrunError) throw e;
    const err = e as Error & { errno?: number };
    if (opts.rootless && (err.errno === 1 || err.errno === 13)) return; // EPERM, EACCES
    throw new TsrunError(`cgroup: ${cgroupDir}: device filter: ${err.message}`);
  }
}
