// The sidecar's command table, as the sidecar exports it (src/generated/commands.json, made
// from the handlers' declarations in crates/lsp; never edited by hand). No `vscode` here.

import table from '../generated/commands.json';

export type ArgType = 'string' | 'boolean' | 'integer' | 'string[]';

export interface CommandInfo {
  name: string;
  summary: string;
  args: Array<{ name: string; type: ArgType; doc: string }>;
  /** The result type's name (its schema is in `$defs`). */
  result: string;
  project: 'required' | 'optional';
  mutating: boolean;
  progress?: string;
}

/** A release state's words (crates/portal `lifecycle::STATE_WORDS`, the one vocabulary). */
export interface StateWords {
  /** The wire id (`version_creation`, …). */
  state: string;
  /** Our word for it, on every surface (CLI, sidecar, editors). */
  name: string;
  /** What the portal's own pages call it. */
  portalLabel: string;
  meaning: string;
}

/** A portal users pick by name (crates/core `presets::PRESETS`, the one table). */
export interface PortalPreset {
  /** What the sidecar's `portal` accepts instead of the URL. */
  id: string;
  name: string;
  url: string;
  backend: string;
  /** Picked when the user just confirms (GoPay production). */
  preselected: boolean;
  detail: string;
}

export interface CommandTable {
  commands: CommandInfo[];
  errorCodes: Array<{ code: string; meaning: string }>;
  releaseStates: StateWords[];
  portalPresets: PortalPreset[];
  $defs: Record<string, unknown>;
}

export const COMMAND_TABLE = table as unknown as CommandTable;

/** Whether `command` takes the argument `name`. */
export function takesArgument(command: string, name: string): boolean {
  return COMMAND_TABLE.commands.some((c) => c.name === command && c.args.some((a) => a.name === name));
}
