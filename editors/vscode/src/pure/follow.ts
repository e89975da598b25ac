// Toasts and the temporary-code panel follow the snapshot (#21 item 10). What a toast or the
// panel offers was true of the release when it was shown; the release moves on (a review
// arrives, someone releases from the portal) while it stays on screen. So each one remembers
// the release and its state, a new snapshot says which ones are stale, and a button picked
// on a stale one is checked against the release as it is now instead of failing with the
// sidecar's refusal. No `vscode` here.

import { releaseStateText } from './messages';
import type { PanelState } from './qrHtml';
import type { ReleaseView, StatusSnapshot } from './snapshot';
import { actionForStep, stepForCommand, WAIT_ACTION } from './actions';

/** The release a toast or panel is about, as it was when shown. */
export interface ShownRelease {
  version: string;
  releaseId: string;
  targetApp: string;
  state: string;
}

export function shownRelease(version: string, release: ReleaseView): ShownRelease {
  return { version, releaseId: release.releaseId, targetApp: release.targetApp, state: release.state };
}

/** The release as the snapshot has it now (by its id: one version may have two releases to one target app). */
export function releaseNow(snapshot: StatusSnapshot | undefined, shown: Pick<ShownRelease, 'version' | 'releaseId'>): ReleaseView | undefined {
  return snapshot?.versions.find((v) => v.version === shown.version)?.releases.find((r) => r.releaseId === shown.releaseId);
}

/** Toasts on screen about releases; a snapshot where one's release moved on makes it stale. */
export class ShownToasts {
  private readonly shown = new Map<string, ShownRelease>();
  private nextId = 1;

  /** Remembers a toast; the id forgets it when the toast is answered or dismissed. */
  add(release: ShownRelease): number {
    const id = this.nextId++;
    this.shown.set(String(id), release);
    return id;
  }

  forget(id: number): void {
    this.shown.delete(String(id));
  }

  /**
   * The toasts this snapshot makes stale (their release is in another state or gone), forgotten
   * here. Snapshots that cannot see the portal (unreachable, logged out) make nothing stale.
   */
  staleIn(snapshot: StatusSnapshot): ShownRelease[] {
    if (!snapshot.loggedIn || snapshot.problem) return [];
    const stale: ShownRelease[] = [];
    for (const [id, shown] of this.shown) {
      const now = releaseNow(snapshot, shown);
      if (now?.state === shown.state) continue;
      stale.push(shown);
      this.shown.delete(id);
    }
    return stale;
  }

  get size(): number {
    return this.shown.size;
  }
}

/** What to do with a button picked on a toast or panel shown earlier. */
export type StillOffered = { ok: true } | { ok: false; text: string };

/**
 * Whether the release still offers `command` (a VS Code command of a release action). A release
 * that moved on says where it is now, in the sidebar's words; one that is gone says so.
 */
export function stillOffered(snapshot: StatusSnapshot | undefined, shown: ShownRelease, command: string): StillOffered {
  if (!snapshot) return { ok: true }; // nothing known better than when it was shown: let the sidecar check
  const now = releaseNow(snapshot, shown);
  const what = `${shown.version} on "${shown.targetApp}"`;
  if (!now) return { ok: false, text: `${what} is no longer in the release list; nothing was done.` };
  const step = stepForCommand(command);
  const offered = step ? now.allowedSteps.includes(step) : command === WAIT_ACTION.command ? now.awaitsReview : true;
  if (offered) return { ok: true };
  return { ok: false, text: `${what} is ${releaseStateText(now)} now; nothing was done.` };
}

/**
 * What the temporary-code panel offers for its release now: Apply Release… while the release
 * allows it; once it has moved on, where it is (and no button).
 */
export function temporaryCodePanel(snapshot: StatusSnapshot | undefined, shown: ShownRelease | undefined): PanelState {
  if (!snapshot || !shown) return {};
  const release = releaseNow(snapshot, shown);
  if (!release) return { now: `${shown.version} on "${shown.targetApp}" is no longer in the release list.` };
  const apply = actionForStep('apply');
  if (apply && release.allowedSteps.includes('apply')) return { next: { title: apply.title } };
  if (release.state === shown.state) return {};
  return { now: `${shown.version} on "${shown.targetApp}" is ${releaseStateText(release)} now.` };
}
