// Activation: one Ctx, the commands from their factories, the triggers that refresh the status.

import * as vscode from 'vscode';

import { COMMANDS } from './commands';
import { Ctx } from './ctx';

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const c = new Ctx(context);
  ctx = c;
  context.subscriptions.push(c);
  for (const [id, factory] of Object.entries(COMMANDS)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, factory(c)));
  }
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('gopayMiniapp.server')) await c.restart();
      else if (e.affectsConfiguration('gopayMiniapp.portal')) await c.refresh();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => c.refresh()),
    // Someone may have logged in or approved from a terminal: look again when the window comes back.
    vscode.window.onDidChangeWindowState((state) => {
      if (state.focused) void c.refreshIfStale();
    }),
    c.treeView.onDidChangeVisibility((e) => {
      if (e.visible) void c.refreshIfStale();
    }),
  );
  await c.start();
}

export async function deactivate(): Promise<void> {
  await ctx?.stop();
  ctx = undefined;
}
