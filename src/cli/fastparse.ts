// The parser every well-formed command line goes through: a few microseconds and no
// dependencies. Anything it is not sure about (help, --version, unknown or malformed flags,
// wrong argument counts, bundled short flags) returns null, and yargs takes over to
// print the usage or the error. Accepts what yargs accepts for the same table.
import { COMMANDS, GLOBAL_FLAGS, argCountError, defaults, type FlagDef, type FlagValue, type Parsed } from './commands';

/**
 * runc parses flags with Go's flag package, where one dash works like two: callers pass
 * e.g. `-no-subreaper` (containerd's go-runc does, on restore). Rewrite "-name" and
 * "-name=v" to "--name..." where name is a long flag of the command (or a global flag), up
 * to "--" and, for commands whose trailing words are the container's (exec), up to the
 * first word that is not a flag. Anything else is left for the parsers to judge.
 */
export function goStyleFlags(argv: readonly string[]): string[] {
  const out = [...argv];
  const known = (defs: FlagDef[], a: string) => {
    const m = /^-([a-z][a-z0-9-]+)(=.*)?$/.exec(a);
    return !!m && defs.some((d) => d.name === m[1]);
  };
  let i = 0;
  for (; i < out.length && out[i].startsWith('-'); i++) {
    if (known(GLOBAL_FLAGS, out[i])) out[i] = `-${out[i]}`;
    // A global flag's value ("--root /r") is not the command.
    const name = /^--([^=]+)$/.exec(out[i])?.[1];
    const def = name ? GLOBAL_FLAGS.find((d) => d.name === name) : undefined;
    if (def && def.type !== 'boolean') i++;
  }
  const cmd = COMMANDS.find((c) => c.name === out[i]);
  if (!cmd) return out;
  for (i++; i < out.length && out[i] !== '--'; i++) {
    const a = out[i];
    if (!a.startsWith('-')) {
      if (cmd.haltAtArgs) break;
      continue;
    }
    if (known(cmd.flags, a) || known(GLOBAL_FLAGS, a)) out[i] = `-${a}`;
  }
  return out;
}

export function fastParse(argv: readonly string[]): Parsed | null {
  const global = defaults(GLOBAL_FLAGS);
  let i = 0;
  // Global flags before the command.
  for (; i < argv.length && argv[i].startsWith('-'); ) {
    const n = takeFlag(argv, i, GLOBAL_FLAGS, global);
    if (n === 0) return null;
    i += n;
  }
  const cmd = COMMANDS.find((c) => c.name === argv[i]);
  if (!cmd) return null;
  i++;
  const flags = defaults(cmd.flags);
  const args: string[] = [];
  for (; i < argv.length; ) {
    const a = argv[i];
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (cmd.haltAtArgs && args.length > 0) {
      args.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      // Command flags first, then global flags (yargs accepts those anywhere too).
      let n = takeFlag(argv, i, cmd.flags, flags);
      if (n === 0) n = takeFlag(argv, i, GLOBAL_FLAGS, global);
      if (n === 0) return null;
      i += n;
      continue;
    }
    args.push(a);
    i++;
  }
  if (argCountError(cmd, args.length)) return null;
  return { command: cmd.name, global, flags, args };
}

/**
 * Consume one flag at argv[i] into out: "--name", "--name=v", "--name v", "-x", "-x v".
 * Returns how many argv entries it used, 0 when it is not a (valid) flag of defs.
 */
function takeFlag(argv: readonly string[], i: number, defs: FlagDef[], out: Record<string, FlagValue>): number {
  const a = argv[i];
  let name: string;
  let inline: string | undefined;
  let def: FlagDef | undefined;
  if (a.startsWith('--')) {
    const eq = a.indexOf('=');
    name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    inline = eq < 0 ? undefined : a.slice(eq + 1);
    def = defs.find((d) => d.name === name);
  } else if (a.length === 2) {
    name = a.slice(1);
    def = defs.find((d) => d.alias === name);
  } else {
    return 0; // "-abc" or "-x=v": let yargs sort it out
  }
  if (!def) return 0;
  if (def.type === 'boolean') {
    if (inline === undefined) out[def.name] = true;
    else if (inline === 'true' || inline === 'false') out[def.name] = inline === 'true';
    else return 0;
    return 1;
  }
  let value = inline;
  let used = 1;
  if (value === undefined) {
    if (i + 1 >= argv.length) return 0;
    value = argv[i + 1];
    // yargs would not take a flag-looking word as the value.
    if (value.startsWith('-') && value !== '-' && !/^-\d/.test(value)) return 0;
    used = 2;
  }
  if (def.choices && !def.choices.includes(value)) return 0;
  if (def.type === 'number') {
    if (!/^\d+$/.test(value)) return 0;
    out[def.name] = Number(value);
  } else if (def.type === 'array') {
    out[def.name] = [...((out[def.name] as string[] | undefined) ?? []), value];
  } else {
    out[def.name] = value;
  }
  return used;
}
