// What a command handler gets from either parser (a leaf, so the command modules that the
// table in commands.ts loads do not import the table back).

export type FlagValue = string | number | boolean | string[] | undefined;

/** A parsed command line: what a command handler gets. */
export interface Parsed {
  command: string;
  /** Global flags by long name, defaults applied. */
  global: Record<string, FlagValue>;
  /** Command flags by long name, defaults applied. */
  flags: Record<string, FlagValue>;
  /** Positional arguments after the command name. */
  args: string[];
}
