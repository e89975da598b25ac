// Status snapshots shaped like the sidecar's (crates/core/src/workflows/status.rs, camelCase).

import type { ReleaseState, ReleaseView, StatusSnapshot, Step } from '../src/pure/snapshot';

export const PORTAL = 'http://127.0.0.1:8780';

export function loggedOut(): StatusSnapshot {
  return {
    portal: PORTAL,
    backend: 'native',
    capabilities: {
      steps: ['temporary_code', 'apply', 'withdraw', 'whitelist', 'grayscale', 'official', 'cancel', 'rollback'],
      releaseNotes: 'apply',
      listSpaces: true,
      listApps: true,
      listTargetApps: true,
      login: ['password', 'browser', 'token'],
      accessTokens: true,
      audit: true,
      reviews: true,
    },
    project: '/work/hello',
    loggedIn: false,
    versions: [],
    targetApps: [],
    runningJobs: [],
  };
}

export function unbound(): StatusSnapshot {
  return {
    ...loggedOut(),
    loggedIn: true,
    account: { username: 'demo', displayName: 'Demo Developer', via: 'session' },
  };
}

export function release(overrides: Partial<ReleaseView> = {}): ReleaseView {
  return {
    releaseId: 'rel-1',
    targetApp: 'GoPay Staging',
    targetAppId: 'tgt-staging',
    state: 'version_creation',
    stateLabel: 'Not submitted',
    publishId: 'pub-1',
    firstRelease: true,
    allowedSteps: ['temporary_code', 'apply', 'cancel'],
    nextStep: 'apply',
    ...overrides,
    // As the sidecar computes them (lifecycle's `awaits_review` and `changes_state`).
    awaitsReview: (overrides.state ?? 'version_creation') === 'in_review',
    stateChangingSteps:
      overrides.stateChangingSteps ??
      (overrides.allowedSteps ?? ['temporary_code', 'apply', 'cancel']).filter((step) => !STAYS[overrides.state ?? 'version_creation']?.includes(step)),
  };
}

/** The steps that leave a release in its state (crates/portal/src/lifecycle.rs TRANSITIONS, to == from). */
const STAYS: Partial<Record<ReleaseState, Step[]>> = {
  version_creation: ['temporary_code'],
  in_review: ['temporary_code'],
  rejected: ['temporary_code'],
  pilot_test: ['temporary_code'],
  whitelist_testing: ['temporary_code', 'whitelist'],
  grayscale: ['grayscale'],
};

export function bound(): StatusSnapshot {
  return {
    ...unbound(),
    binding: {
      portal: PORTAL,
      backend: 'native',
      space: { id: 'spc-1', name: 'Demo Space' },
      app: { id: 'app-1', name: 'Hello MiniApp' },
      buildCommand: 'npm run build',
      outputDir: 'dist',
      bump: 'patch',
      sizeBudget: 8388608,
      includeSourceMaps: false,
    },
    latestVersion: '1.0.2',
    versions: [
      {
        version: '1.0.2',
        versionId: 'ver-2',
        createdAt: '2024-05-01T10:00:00Z',
        description: 'second',
        descriptionIsDefault: false,
        size: 2048,
        sha256: 'b'.repeat(64),
        releases: [
          release({
            releaseId: 'rel-2',
            state: 'grayscale',
            stateLabel: 'Grayscale',
            ratio: 10,
            firstRelease: false,
            allowedSteps: ['temporary_code', 'grayscale', 'official', 'cancel'],
            nextStep: 'official',
          }),
        ],
      },
      {
        version: '1.0.1',
        versionId: 'ver-1',
        createdAt: '2024-04-01T10:00:00Z',
        description: 'first',
        descriptionIsDefault: false,
        size: 1024,
        sha256: 'a'.repeat(64),
        releases: [
          release({ releaseId: 'rel-1', state: 'released', stateLabel: 'Live', allowedSteps: ['rollback'], nextStep: undefined }),
        ],
      },
      {
        version: '1.0.0',
        versionId: 'ver-0',
        createdAt: '2024-03-01T10:00:00Z',
        description: '',
        descriptionIsDefault: false,
        size: 900,
        sha256: 'c'.repeat(64),
        releases: [],
      },
    ],
    targetApps: [
      { targetApp: 'GoPay', targetAppId: 'tgt-gopay' },
      {
        targetApp: 'GoPay Staging',
        targetAppId: 'tgt-staging',
        liveVersion: '1.0.1',
        inFlight: { version: '1.0.2', state: 'grayscale', nextStep: 'official' },
      },
    ],
  };
}
