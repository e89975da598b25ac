// What the sidebar, its title and the status bar show for one status snapshot. Pure: the
// tree provider only turns these nodes into TreeItems. No `vscode` here.

import { releaseActions, releaseContextValue } from './actions';
import type { ReleaseRef } from './args';
import type { ReleaseState, ReleaseView, StatusSnapshot, VersionView } from './snapshot';

/** Which welcome content shows (the `gopayMiniapp.view` context key). */
export type ViewState = 'starting' | 'failed' | 'loggedOut' | 'unbound' | 'bound';

export type NodeKind =
  | 'account'
  | 'binding'
  | 'problem'
  | 'job'
  | 'versions'
  | 'version'
  | 'noVersions'
  | 'release'
  | 'targets'
  | 'target';

export interface TreeNode {
  /** Stable across snapshots, so VS Code keeps what the user expanded. */
  id: string;
  kind: NodeKind;
  label: string;
  description?: string;
  tooltip?: string;
  /** A codicon id (`account`, `sync~spin`, …). */
  icon?: string;
  /** A theme color id for the icon. */
  iconColor?: string;
  contextValue?: string;
  collapsible: 'none' | 'collapsed' | 'expanded';
  children: TreeNode[];
  /** A command run when the item is clicked. */
  command?: { command: string; title: string };
  /** For versions: the version number. */
  version?: string;
  /** For releases: which release, and what the pickers need. */
  release?: ReleaseRef & {
    targetApp: string;
    state: ReleaseState;
    stateLabel: string;
    ratio?: number;
    whitelist?: string[];
    description?: string;
  };
  /** For target apps. */
  targetAppId?: string;
}

export interface StatusBarModel {
  text: string;
  tooltip: string;
}

export interface SidebarModel {
  view: ViewState;
  nodes: TreeNode[];
  /** Next to the view's title. */
  description?: string;
  /**
   * A problem the sidecar reported while the welcome content shows (a tree message would hide
   * its buttons, so it is told in a notification); in the tree it is an item.
   */
  problem?: string;
  statusBar: StatusBarModel;
}

const STATE_ICONS: Record<ReleaseState, { icon: string; color?: string }> = {
  version_creation: { icon: 'circle-large-outline' },
  in_review: { icon: 'watch', color: 'charts.yellow' },
  rejected: { icon: 'error', color: 'errorForeground' },
  pilot_test: { icon: 'beaker', color: 'charts.blue' },
  whitelist_testing: { icon: 'person', color: 'charts.blue' },
  grayscale: { icon: 'graph', color: 'charts.purple' },
  released: { icon: 'pass-filled', color: 'charts.green' },
  archived: { icon: 'archive' },
  cancelled: { icon: 'circle-slash' },
};

/** `http://127.0.0.1:8780` → `127.0.0.1:8780`. */
export function portalHost(portal: string): string {
  try {
    const url = new URL(portal);
    return url.host || portal;
  } catch {
    return portal;
  }
}

/** What a release's state says, with its details (ratio, whitelist size, reject reason). */
export function releaseStateText(release: ReleaseView): string {
  let text = release.stateLabel;
  if (release.state === 'grayscale' && release.ratio !== undefined) text += ` ${release.ratio}%`;
  if (release.state === 'whitelist_testing' && release.whitelist?.length) {
    text += ` (${release.whitelist.length} user${release.whitelist.length === 1 ? '' : 's'})`;
  }
  if (release.rejectReason) text += ` — ${release.rejectReason}`;
  return text;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function releaseNode(version: VersionView, release: ReleaseView): TreeNode {
  const style = STATE_ICONS[release.state] ?? { icon: 'circle-outline' };
  const actions = releaseActions(release).map((a) => a.title.replace(/…$/, ''));
  const lines = [
    `${version.version} on "${release.targetApp}": ${releaseStateText(release)}`,
    release.firstRelease ? 'First release to this target app: it may only go straight to official.' : '',
    release.whitelist?.length ? `Whitelist: ${release.whitelist.join(', ')}` : '',
    actions.length ? `Actions: ${actions.join(', ')}` : 'Nothing more to do on this release.',
  ].filter(Boolean);
  return {
    id: `release:${release.releaseId}`,
    kind: 'release',
    label: release.targetApp,
    description: releaseStateText(release),
    tooltip: lines.join('\n'),
    icon: style.icon,
    iconColor: style.color,
    contextValue: releaseContextValue(release),
    collapsible: 'none',
    children: [],
    version: version.version,
    release: {
      version: version.version,
      targetAppId: release.targetAppId,
      targetApp: release.targetApp,
      state: release.state,
      stateLabel: release.stateLabel,
      ratio: release.ratio,
      whitelist: release.whitelist,
      description: version.description,
    },
  };
}

function versionNode(version: VersionView, latest: boolean): TreeNode {
  const releases = version.releases.map((r) => releaseNode(version, r));
  const summary = version.releases.length
    ? version.releases.map((r) => `${r.targetApp}: ${releaseStateText(r)}`).join(', ')
    : 'not released';
  const tooltip = [
    `Version ${version.version}${latest ? ' (latest)' : ''}`,
    version.description ? `Description: ${version.description}` : '',
    `Uploaded ${version.createdAt}, ${formatSize(version.size)}`,
    `sha256 ${version.sha256}`,
    'Release it to a target app with "Release…".',
  ].filter(Boolean);
  return {
    // A version that gets its first release becomes a new item, so it opens (VS Code keeps
    // the state of an id it knows, and this one could not be expanded before).
    id: `version:${version.versionId}${releases.length ? '' : ':unreleased'}`,
    kind: 'version',
    label: version.version,
    description: latest ? `latest · ${summary}` : summary,
    tooltip: tooltip.join('\n'),
    icon: latest ? 'tag' : 'history',
    contextValue: latest ? 'version latest' : 'version',
    collapsible: releases.length === 0 ? 'none' : latest ? 'expanded' : 'collapsed',
    children: releases,
    version: version.version,
  };
}

function jobText(percentage: number | undefined, message: string): string {
  const pct = percentage !== undefined ? `${percentage}%` : '';
  return [pct, message].filter(Boolean).join(' ');
}

/** The latest version and its state, for the status bar. */
export function latestState(snapshot: StatusSnapshot): string | undefined {
  const latest = snapshot.versions[0];
  if (!latest) return undefined;
  if (latest.releases.length === 0) return `${latest.version} · not released`;
  if (latest.releases.length === 1) return `${latest.version} · ${releaseStateText(latest.releases[0])}`;
  return `${latest.version} · ${latest.releases.map((r) => `${r.targetApp}: ${r.stateLabel}`).join(', ')}`;
}

export function viewState(snapshot: StatusSnapshot | undefined): ViewState {
  if (!snapshot) return 'starting';
  if (!snapshot.loggedIn) return 'loggedOut';
  if (!snapshot.binding) return 'unbound';
  return 'bound';
}

/** The whole sidebar for one snapshot (`undefined`: none arrived yet). */
export function buildSidebar(snapshot: StatusSnapshot | undefined): SidebarModel {
  const view = viewState(snapshot);
  if (!snapshot) {
    return {
      view,
      nodes: [],
      statusBar: { text: '$(sync~spin) GoPay MiniApp', tooltip: 'Starting the GoPay MiniApp sidecar' },
    };
  }
  const host = portalHost(snapshot.portal);
  const problem = snapshot.problem ? `${snapshot.problem.message}${snapshot.problem.hint ? ` — ${snapshot.problem.hint}` : ''}` : undefined;
  const jobs = (snapshot.runningJobs ?? []).map<TreeNode>((job, i) => ({
    id: `job:${i}:${job.command}`,
    kind: 'job',
    label: job.title,
    description: jobText(job.percentage, job.message),
    tooltip: `${job.title} (${job.command}) is running`,
    icon: 'sync~spin',
    collapsible: 'none',
    children: [],
  }));
  const running = snapshot.runningJobs?.[0];
  const runningText = running ? ` · $(sync~spin) ${running.title}${running.percentage !== undefined ? ` ${running.percentage}%` : ''}` : '';

  if (view === 'loggedOut') {
    return {
      view,
      nodes: [],
      description: host,
      problem,
      statusBar: {
        text: `$(sign-in) GoPay MiniApp: log in${runningText}`,
        tooltip: `Not logged in to ${snapshot.portal}. Click to open the GoPay MiniApp sidebar.`,
      },
    };
  }
  const account = snapshot.account!;
  const accountDescription = `${account.username} · ${host}`;
  if (view === 'unbound') {
    return {
      view,
      nodes: [],
      description: `${account.displayName} · ${host}`,
      problem,
      statusBar: {
        text: `$(link) GoPay MiniApp: not bound${runningText}`,
        tooltip: `Logged in to ${snapshot.portal} as ${account.username}; this project is not bound to a MiniApp. Click to open the sidebar.`,
      },
    };
  }

  const binding = snapshot.binding!;
  const nodes: TreeNode[] = [
    {
      id: 'account',
      kind: 'account',
      label: account.displayName,
      description: accountDescription,
      tooltip: `Logged in to ${snapshot.portal} as ${account.username} (${account.via === 'token' ? 'access token from GOPAY_MINIAPP_TOKEN' : 'session'})`,
      icon: 'account',
      contextValue: 'account',
      collapsible: 'none',
      children: [],
    },
    {
      id: 'binding',
      kind: 'binding',
      label: binding.app.name,
      description: binding.space.name,
      tooltip: `This project (${snapshot.project}) is bound to "${binding.app.name}" (${binding.app.id}) in "${binding.space.name}" on ${binding.portal}.`,
      icon: 'package',
      contextValue: 'binding',
      collapsible: 'none',
      children: [],
    },
  ];
  if (snapshot.problem) {
    nodes.push({
      id: 'problem',
      kind: 'problem',
      label: snapshot.problem.message,
      description: snapshot.problem.hint,
      tooltip: problem,
      icon: 'warning',
      iconColor: 'problemsWarningIcon.foreground',
      collapsible: 'none',
      children: [],
    });
  }
  nodes.push(...jobs);
  const versions = snapshot.versions.map((v, i) => versionNode(v, i === 0));
  nodes.push({
    id: 'versions',
    kind: 'versions',
    label: 'Versions',
    description: snapshot.latestVersion ? `latest ${snapshot.latestVersion}` : 'none yet',
    icon: 'versions',
    collapsible: 'expanded',
    children: versions.length
      ? versions
      : [
          {
            id: 'noVersions',
            kind: 'noVersions',
            label: 'No versions yet: Publish MiniApp',
            icon: 'cloud-upload',
            collapsible: 'none',
            children: [],
            command: { command: 'gopayMiniapp.publish', title: 'Publish MiniApp' },
          },
        ],
  });
  if (snapshot.targetApps.length) {
    nodes.push({
      id: 'targets',
      kind: 'targets',
      label: 'Target Apps',
      icon: 'device-mobile',
      collapsible: 'collapsed',
      children: snapshot.targetApps.map((t) => {
        const parts = [
          t.liveVersion ? `live ${t.liveVersion}` : 'nothing live',
          t.inFlight ? `${t.inFlight.version} in ${labelOf(t.inFlight.state, snapshot)}` : '',
        ].filter(Boolean);
        return {
          id: `target:${t.targetAppId}`,
          kind: 'target' as const,
          label: t.targetApp,
          description: parts.join(' · '),
          tooltip: `"${t.targetApp}" (${t.targetAppId}): ${parts.join('; ')}`,
          icon: t.liveVersion ? 'pass' : 'circle-large-outline',
          contextValue: 'target',
          collapsible: 'none' as const,
          children: [],
          targetAppId: t.targetAppId,
        };
      }),
    });
  }
  const state = latestState(snapshot);
  return {
    view,
    nodes,
    description: `${binding.app.name} · ${host}`,
    statusBar: {
      text: `$(rocket) ${binding.app.name}${state ? ` ${state}` : ''}${runningText}`,
      tooltip: `GoPay MiniApp "${binding.app.name}" in "${binding.space.name}" on ${snapshot.portal}${state ? `\nLatest: ${state}` : '\nNo version published yet'}\nClick to open the GoPay MiniApp sidebar.`,
    },
  };
}

/** A state's label as the sidecar words it (from any release in that state), else its wire name. */
function labelOf(state: ReleaseState, snapshot: StatusSnapshot): string {
  for (const v of snapshot.versions) {
    for (const r of v.releases) if (r.state === state) return r.stateLabel;
  }
  return state.replace(/_/g, ' ');
}

/** Every node, depth first (for tests and for finding a node by id). */
export function flatten(nodes: TreeNode[]): TreeNode[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children)]);
}
