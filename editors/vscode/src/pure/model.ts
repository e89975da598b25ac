// What the sidebar, its title and the status bar show for one status snapshot. Pure: the
// tree provider only turns these nodes into TreeItems. No `vscode` here.

import { releaseActions, releaseContextValue } from './actions';
import type { ReleaseRef } from './args';
import { formatSize, formatWhen } from './format';
import { problemText, releaseStateText, stateMeaning, stateName } from './messages';
import type { ReleaseState, ReleaseView, StatusSnapshot, VersionView } from './snapshot';

export { formatSize, releaseStateText };

/** Which welcome content shows (the `gopayMiniapp.view` context key). */
export type ViewState = 'starting' | 'failed' | 'noProject' | 'loggedOut' | 'unreachable' | 'unbound' | 'bound';

/** What the editor knows of the snapshot's project folder (the sidecar does not say it). */
export interface ProjectFacts {
  /** The folder has a package.json (undefined: not looked yet). */
  packageJson?: boolean;
}

/** The portal could not be asked (down, wrong URL, no network): the session itself may be fine. */
export function isUnreachable(snapshot: StatusSnapshot | undefined): boolean {
  return !!snapshot && !snapshot.loggedIn && (snapshot.problem?.code === 'network' || snapshot.problem?.code === 'protocol');
}

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
  /** Not shown at all (a folder that is no MiniApp project). */
  hidden?: boolean;
}

export interface SidebarModel {
  view: ViewState;
  nodes: TreeNode[];
  /** Next to the view's title. */
  description?: string;
  /** The view's title, when not its name. */
  title?: string;
  /**
   * A problem the sidecar reported while the welcome content shows (a tree message would hide
   * its buttons, so it is told in a notification); in the tree it is an item.
   */
  problem?: string;
  /** `code` of that problem (the notification's buttons depend on it). */
  problemCode?: string;
  /** The tree is the last one the portal told (it cannot be reached now). */
  stale?: boolean;
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
  unknown: { icon: 'question' },
};

/** `http://127.0.0.1:8780` → `127.0.0.1:8780`; none chosen yet: says so. */
export function portalHost(portal: string | undefined): string {
  if (!portal) return 'no portal chosen';
  try {
    const url = new URL(portal);
    return url.host || portal;
  } catch {
    return portal;
  }
}

function releaseNode(version: VersionView, release: ReleaseView, earlier: ReleaseView[] = []): TreeNode {
  const style = STATE_ICONS[release.state] ?? { icon: 'circle-outline' };
  const actions = releaseActions(release).map((a) => a.title.replace(/…$/, ''));
  const lines = [
    `${version.version} on "${release.targetApp}": ${releaseStateText(release)} — ${stateMeaning(release.state)}`,
    earlier.length ? `Released to "${release.targetApp}" before: ${earlier.map((r) => releaseStateText(r)).join(', ')}.` : '',
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

/**
 * A version's releases, one per target app: the newest (the sidecar lists them newest first).
 * An earlier one to the same target app (cancelled, then released again) would be a second,
 * identical-looking row; its state is told in the newer one's tooltip instead.
 */
export function latestReleases(version: VersionView): Array<{ release: ReleaseView; earlier: ReleaseView[] }> {
  const out = new Map<string, { release: ReleaseView; earlier: ReleaseView[] }>();
  for (const r of version.releases) {
    const seen = out.get(r.targetAppId);
    if (seen) seen.earlier.push(r);
    else out.set(r.targetAppId, { release: r, earlier: [] });
  }
  return [...out.values()];
}

function versionNode(version: VersionView, latest: boolean, now: Date): TreeNode {
  const shown = latestReleases(version);
  const releases = shown.map(({ release, earlier }) => releaseNode(version, release, earlier));
  const summary = shown.length
    ? shown.map(({ release: r }) => `${r.targetApp}: ${releaseStateText(r)}`).join(', ')
    : 'not released';
  const tooltip = [
    `Version ${version.version}${latest ? ' (latest)' : ''}`,
    version.description ? `Description: ${version.description}` : '',
    `Uploaded ${formatWhen(version.createdAt, now)}, ${formatSize(version.size)}`,
    `sha256 ${version.sha256}`,
    'Release… (the rocket button or the context menu) releases it to a target app.',
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
    // No click command: a click toggles the row; Release… is its inline button and menu item.
    version: version.version,
  };
}

function jobText(percentage: number | undefined, message: string): string {
  const pct = percentage !== undefined ? `${percentage}%` : '';
  return [pct, message].filter(Boolean).join(' ');
}

/** The latest version and its state (tooltips). */
export function latestState(snapshot: StatusSnapshot): string | undefined {
  const latest = snapshot.versions[0];
  if (!latest) return undefined;
  if (latest.releases.length === 0) return `${latest.version} · not released`;
  if (latest.releases.length === 1) return `${latest.version} · ${releaseStateText(latest.releases[0])}`;
  return `${latest.version} · ${latest.releases.map((r) => `${r.targetApp}: ${releaseStateText(r)}`).join(', ')}`;
}

/** What is live, for the status bar: "1.0.1 live on GoPay Staging", "nothing live". */
export function liveSummary(snapshot: StatusSnapshot): string {
  const live = snapshot.targetApps.filter((t) => t.liveVersion);
  if (live.length === 0) return 'nothing live';
  if (live.length === 1) return `${live[0].liveVersion} live on ${live[0].targetApp}`;
  return `live: ${live.map((t) => `${t.targetApp} ${t.liveVersion}`).join(', ')}`;
}

/** One line per target app: what is live there and what is on its way. */
export function liveLines(snapshot: StatusSnapshot): string[] {
  return snapshot.targetApps.map((t) => {
    const inFlight = t.inFlight ? `; ${t.inFlight.version} ${inFlightText(t.inFlight.version, t.targetAppId, t.inFlight.state, snapshot)}` : '';
    return `${t.targetApp}: ${t.liveVersion ? `${t.liveVersion} live` : 'nothing live'}${inFlight}`;
  });
}

function inFlightText(version: string, targetAppId: string, state: ReleaseState, snapshot: StatusSnapshot): string {
  const release = snapshot.versions.find((v) => v.version === version)?.releases.find((r) => r.targetAppId === targetAppId);
  return (release ? releaseStateText(release) : stateName(state)).toLowerCase();
}

export function viewState(snapshot: StatusSnapshot | undefined, facts: ProjectFacts = {}): ViewState {
  if (!snapshot) return 'starting';
  // Neither a binding nor a package.json: not a MiniApp project, so nothing to log in to or bind.
  if (!snapshot.binding && facts.packageJson === false) return 'noProject';
  if (isUnreachable(snapshot)) return 'unreachable';
  if (!snapshot.loggedIn) return 'loggedOut';
  if (!snapshot.binding) return 'unbound';
  return 'bound';
}

/**
 * The whole sidebar for one snapshot (`undefined`: none arrived yet). When the portal cannot be
 * reached, `lastGood` (the last snapshot that could ask it, for the same project and portal)
 * is shown instead, marked stale, so a portal that is down does not look like a logout.
 */
export function buildSidebar(snapshot: StatusSnapshot | undefined, lastGood?: StatusSnapshot, now: Date = new Date(), facts: ProjectFacts = {}): SidebarModel {
  const view = viewState(snapshot, facts);
  if (view === 'noProject') {
    // No status item in a folder that is not a MiniApp project; the view says why.
    return { view, nodes: [], statusBar: { text: '', tooltip: '', hidden: true } };
  }
  if (snapshot && isUnreachable(snapshot) && lastGood?.loggedIn && lastGood.project === snapshot.project && lastGood.portal === snapshot.portal) {
    return staleSidebar(snapshot, lastGood, now);
  }
  if (!snapshot) {
    return {
      view,
      nodes: [],
      statusBar: { text: '$(sync~spin) GoPay MiniApp', tooltip: 'Starting the GoPay MiniApp sidecar' },
    };
  }
  const host = portalHost(snapshot.portal);
  const worded = snapshot.problem ? problemText(snapshot.problem, snapshot.portal ?? 'the portal') : undefined;
  const problem = worded ? `${worded.label.replace(/\.$/, '')}${worded.detail ? `. ${worded.detail}` : '.'}` : undefined;
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

  if (view === 'unreachable') {
    return {
      view,
      nodes: [],
      description: host,
      problem,
      problemCode: snapshot.problem?.code,
      statusBar: {
        text: `$(debug-disconnect) GoPay MiniApp: can’t reach ${host}${runningText}`,
        tooltip: `Can’t reach ${snapshot.portal ?? 'the portal'}. Your login is kept; Retry once the portal is back. Click to open the sidebar.`,
      },
    };
  }
  if (view === 'loggedOut') {
    return {
      view,
      nodes: [],
      description: host,
      problem,
      problemCode: snapshot.problem?.code,
      statusBar: {
        text: `$(sign-in) GoPay MiniApp: log in${runningText}`,
        tooltip: `${snapshot.portal ? `Not logged in to ${snapshot.portal ?? 'the portal'}` : 'No portal chosen yet: Log In asks which'}. Click to open the GoPay MiniApp sidebar.`,
      },
    };
  }
  const account = snapshot.account!;
  const accountDescription = `${account.username} · ${host}`;
  if (view === 'unbound') {
    return {
      view,
      nodes: [],
      description: `${account.displayName} (${account.username}) · ${host}`,
      // With one view in the container VS Code hides the description: the title says who it is.
      title: `${account.displayName} (${account.username})`,
      problem,
      problemCode: snapshot.problem?.code,
      statusBar: {
        text: `$(link) GoPay MiniApp: ${account.displayName} · not bound${runningText}`,
        tooltip: `Logged in to ${snapshot.portal ?? 'the portal'} as ${account.username}; this project is not bound to a MiniApp. Click to open the sidebar.`,
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
      tooltip: `Logged in to ${snapshot.portal ?? 'the portal'} as ${account.username} (${account.via === 'token' ? 'access token from GOPAY_MINIAPP_TOKEN' : 'session'})`,
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
  if (snapshot.problem && worded) {
    nodes.push({
      id: 'problem',
      kind: 'problem',
      label: worded.label,
      description: worded.detail,
      tooltip: problem,
      icon: 'warning',
      iconColor: 'problemsWarningIcon.foreground',
      contextValue: 'problem',
      collapsible: 'none',
      children: [],
    });
  }
  nodes.push(...jobs);
  const versions = snapshot.versions.map((v, i) => versionNode(v, i === 0, now));
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
          t.inFlight ? `${t.inFlight.version} ${inFlightText(t.inFlight.version, t.targetAppId, t.inFlight.state, snapshot)}` : '',
        ].filter(Boolean);
        const canRollBack = liveRelease(snapshot, t.targetAppId)?.allowedSteps.includes('rollback') ?? false;
        return {
          id: `target:${t.targetAppId}`,
          kind: 'target' as const,
          label: t.targetApp,
          description: parts.join(' · '),
          tooltip: `"${t.targetApp}": ${parts.join('; ')}${canRollBack ? '\nRoll Back brings the previous version back.' : ''}`,
          icon: t.liveVersion ? 'pass' : 'circle-large-outline',
          contextValue: canRollBack ? 'target step:rollback' : 'target',
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
    description: host,
    statusBar: {
      text: `$(rocket) ${binding.app.name} · ${liveSummary(snapshot)}${runningText}`,
      tooltip: [
        `GoPay MiniApp "${binding.app.name}" in "${binding.space.name}" on ${host}`,
        ...liveLines(snapshot),
        state ? `Latest version: ${state}` : 'No version published yet',
        'Click to open the GoPay MiniApp sidebar.',
      ].join('\n'),
    },
  };
}

/** The release live on a target app (the one Roll Back replaces). */
export function liveRelease(snapshot: StatusSnapshot, targetAppId: string): ReleaseView | undefined {
  for (const v of snapshot.versions) {
    for (const r of v.releases) if (r.targetAppId === targetAppId && r.state === 'released') return r;
  }
  return undefined;
}

/** The last tree that could ask the portal, marked stale, with the problem on top. */
function staleSidebar(snapshot: StatusSnapshot, lastGood: StatusSnapshot, now: Date): SidebarModel {
  const base = buildSidebar({ ...lastGood, runningJobs: snapshot.runningJobs }, undefined, now);
  const host = portalHost(snapshot.portal);
  const problem: TreeNode = {
    id: 'problem',
    kind: 'problem',
    label: `Can’t reach ${host}`,
    description: 'showing the last known state',
    tooltip: `Can’t reach ${snapshot.portal ?? 'the portal'}. What you see is the last state the portal told; your login is kept. Retry once the portal is back.`,
    icon: 'debug-disconnect',
    iconColor: 'problemsWarningIcon.foreground',
    contextValue: 'problem stale',
    collapsible: 'none',
    children: [],
    command: { command: 'gopayMiniapp.refresh', title: 'Retry' },
  };
  const nodes = base.nodes.filter((n) => n.kind !== 'problem');
  const at = nodes.findIndex((n) => n.kind !== 'account' && n.kind !== 'binding');
  nodes.splice(at < 0 ? nodes.length : at, 0, problem);
  return {
    ...base,
    nodes,
    stale: true,
    description: `${host} · offline`,
    problem: `Can’t reach ${host}. Check the portal URL and your network.`,
    problemCode: snapshot.problem?.code,
    statusBar: {
      text: `$(debug-disconnect) ${lastGood.binding?.app.name ?? 'GoPay MiniApp'}: can’t reach ${host}`,
      tooltip: `Can’t reach ${snapshot.portal ?? 'the portal'}; the sidebar shows the last state it told. Your login is kept.`,
    },
  };
}

/** Every node, depth first (for tests and for finding a node by id). */
export function flatten(nodes: TreeNode[]): TreeNode[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children)]);
}
