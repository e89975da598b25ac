// The tree view: turns the pure model's nodes (pure/model.ts) into TreeItems.

import * as vscode from 'vscode';

import type { TreeNode } from './pure/model';

const COLLAPSIBLE = {
  none: vscode.TreeItemCollapsibleState.None,
  collapsed: vscode.TreeItemCollapsibleState.Collapsed,
  expanded: vscode.TreeItemCollapsibleState.Expanded,
} as const;

export class Sidebar implements vscode.TreeDataProvider<TreeNode> {
  private nodes: TreeNode[] = [];
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  set(nodes: TreeNode[]): void {
    this.nodes = nodes;
    this.changed.fire(undefined);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const item = new vscode.TreeItem(node.label, COLLAPSIBLE[node.collapsible]);
    item.id = node.id;
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.contextValue = node.contextValue;
    // What a screen reader says (and what the end-to-end test reads): the label and the state.
    item.accessibilityInformation = { label: node.description ? `${node.label}, ${node.description}` : node.label };
    if (node.icon) {
      item.iconPath = new vscode.ThemeIcon(node.icon, node.iconColor ? new vscode.ThemeColor(node.iconColor) : undefined);
    }
    if (node.command) item.command = { ...node.command, arguments: [node] };
    return item;
  }

  getChildren(node?: TreeNode): TreeNode[] {
    return node ? node.children : this.nodes;
  }
}
