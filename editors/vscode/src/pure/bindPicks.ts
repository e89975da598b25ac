// The pickers of Select Space & Bind MiniApp: what the CLI's bind does, the editor's way. One
// space is not a choice (the CLI takes it too); on a rebind, the bound space and MiniApp are
// marked and preselected, so keeping one of them is one Enter. No `vscode` here.

import type { App, Binding, Space } from './snapshot';

/** A quick-pick row (vscode.QuickPickItem's fields that matter here). */
export interface BindPickItem<T> {
  label: string;
  description?: string;
  value: T;
}

export interface BindPicks<T> {
  items: BindPickItem<T>[];
  /** Preselected: the bound one, on a rebind. */
  active?: T;
}

const BOUND = 'bound now';

function picks<T extends { id: string; name: string }>(all: readonly T[], boundId: string | undefined): BindPicks<T> {
  const items = all.map((x) => ({
    label: x.name,
    description: x.id === boundId ? `${BOUND} · ${x.id}` : x.id,
    value: x,
  }));
  return { items, active: all.find((x) => x.id === boundId) };
}

/** The space to bind in without asking (the only one there is), else undefined. */
export function onlySpace(spaces: readonly Space[]): Space | undefined {
  return spaces.length === 1 ? spaces[0] : undefined;
}

export function spacePicks(spaces: readonly Space[], binding: Binding | undefined): BindPicks<Space> {
  return picks(spaces, binding?.space.id);
}

/** The MiniApps of `space`; the bound one is marked only in its own space. */
export function appPicks(apps: readonly App[], space: Space, binding: Binding | undefined): BindPicks<App> {
  return picks(apps, binding && binding.space.id === space.id ? binding.app.id : undefined);
}
