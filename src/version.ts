// `tsrun --version`, laid out like runc's. Version, commit and koffi version are
// injected by scripts/build.mjs through esbuild `define`; running the TS sources
// directly (vitest, tsx) falls back to package.json and "unknown".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OCI_VERSION } from './oci/types';

declare const __TSRUN_VERSION__: string | undefined;
declare const __TSRUN_COMMIT__: string | undefined;

function devVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The package version ("0.1.0"). */
export function version(): string {
  return typeof __TSRUN_VERSION__ === 'string' ? __TSRUN_VERSION__ : devVersion();
}

/** The git short sha the binary was built from, or "unknown". */
export function commit(): string {
  return typeof __TSRUN_COMMIT__ === 'string' ? __TSRUN_COMMIT__ : 'unknown';
}

/** Multi-line text for `tsrun --version` (no trailing newline). */
export function versionText(): string {
  return [
    `tsrun version ${version()}`,
    `commit: ${commit()}`,
    `spec: ${OCI_VERSION}`,
    // The executable runs on Bun; `node build/tsrun.js` on Node.
    process.versions.bun ? `bun: ${process.versions.bun}` : `node: ${process.version}`,
  ].join('\n');
}
