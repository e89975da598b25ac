// Multi-step inputs: one input box or quick pick per step, titled "<What> (n/m)", with a Back
// button from the second step on. A step may check what was typed with the sidecar before it
// closes (the password step of Login stays open with the error and the username kept).

import * as vscode from 'vscode';

export const BACK = Symbol('back');
export type Back = typeof BACK;

export interface Step {
  title: string;
  /** 1-based; with `total`, "(n/m)" follows the title. */
  step?: number;
  total?: number;
}

function titleOf(s: Step): string {
  return s.step && s.total && s.total > 1 ? `${s.title} (${s.step}/${s.total})` : s.title;
}

export interface InputStep extends Step {
  prompt: string;
  value?: string;
  placeholder?: string;
  password?: boolean;
  validate?: (value: string) => string | vscode.InputBoxValidationMessage | undefined;
  /**
   * Runs on Enter with the box still open (busy); a message keeps it open with that message,
   * `undefined` closes it.
   */
  accept?: (value: string) => Promise<string | undefined>;
}

/** One input box; `undefined` when dismissed, BACK when Back was clicked. */
export function inputStep(s: InputStep): Promise<string | Back | undefined> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    box.title = titleOf(s);
    box.prompt = s.prompt;
    box.value = s.value ?? '';
    box.placeholder = s.placeholder;
    box.password = s.password ?? false;
    box.ignoreFocusOut = true;
    box.buttons = (s.step ?? 1) > 1 ? [vscode.QuickInputButtons.Back] : [];
    let done = false;
    const finish = (value: string | Back | undefined) => {
      if (done) return;
      done = true;
      resolve(value);
      box.dispose();
    };
    // An empty box is not an error before the user types or presses Enter (#21 item 25: the
    // boxes opened red, "Type your username." before a key was pressed); a prefilled value
    // is checked at once.
    const check = (value: string) => {
      box.validationMessage = s.validate?.(value);
    };
    if (box.value) check(box.value);
    box.onDidChangeValue(check);
    box.onDidTriggerButton((b) => b === vscode.QuickInputButtons.Back && finish(BACK));
    box.onDidHide(() => finish(undefined));
    box.onDidAccept(async () => {
      const invalid = s.validate?.(box.value);
      const severity = typeof invalid === 'object' ? invalid.severity : invalid ? vscode.InputBoxValidationSeverity.Error : undefined;
      if (severity === vscode.InputBoxValidationSeverity.Error) {
        box.validationMessage = invalid;
        return;
      }
      if (!s.accept) return finish(box.value);
      box.busy = true;
      box.enabled = false;
      const problem = await s.accept(box.value);
      box.busy = false;
      box.enabled = true;
      if (problem === undefined) return finish(box.value);
      box.value = s.password ? '' : box.value;
      box.validationMessage = { message: problem, severity: vscode.InputBoxValidationSeverity.Error };
    });
    box.show();
  });
}

export interface PickItem<T> extends vscode.QuickPickItem {
  value: T;
}

export interface PickStep<T> extends Step {
  items: PickItem<T>[];
  placeholder?: string;
  /** The item to preselect. */
  active?: T;
}

/** One quick pick; `undefined` when dismissed, BACK when Back was clicked. */
export function pickStep<T>(s: PickStep<T>): Promise<T | Back | undefined> {
  return new Promise((resolve) => {
    const pick = vscode.window.createQuickPick<PickItem<T>>();
    pick.title = titleOf(s);
    pick.placeholder = s.placeholder;
    pick.items = s.items;
    pick.ignoreFocusOut = true;
    pick.matchOnDescription = true;
    pick.buttons = (s.step ?? 1) > 1 ? [vscode.QuickInputButtons.Back] : [];
    const active = s.items.find((i) => i.value === s.active);
    if (active) pick.activeItems = [active];
    let done = false;
    const finish = (value: T | Back | undefined) => {
      if (done) return;
      done = true;
      resolve(value);
      pick.dispose();
    };
    pick.onDidTriggerButton((b) => b === vscode.QuickInputButtons.Back && finish(BACK));
    pick.onDidHide(() => finish(undefined));
    pick.onDidAccept(() => {
      const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
      if (chosen) finish(chosen.value);
    });
    pick.show();
  });
}
