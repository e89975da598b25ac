// The sidecar's data, as it arrives on the wire (camelCase JSON). These types mirror
// crates/core/src/workflows/status.rs (StatusSnapshot and friends), crates/lsp/src/status.rs
// (runningJobs) and the command results in crates/lsp/src/commands.rs. No `vscode` here.

/** `ReleaseState` of crates/portal/src/lifecycle.rs (wire names). */
export type ReleaseState =
  | 'version_creation'
  | 'in_review'
  | 'rejected'
  | 'pilot_test'
  | 'whitelist_testing'
  | 'grayscale'
  | 'released'
  | 'archived'
  | 'cancelled';

/** `Step` of crates/portal/src/lifecycle.rs (wire names). */
export type Step =
  | 'temporary_code'
  | 'apply'
  | 'withdraw'
  | 'approve'
  | 'reject'
  | 'whitelist'
  | 'grayscale'
  | 'official'
  | 'cancel'
  | 'rollback';

export interface ErrorReport {
  code: string;
  message: string;
  hint: string;
  retryable: boolean;
}

export interface Account {
  username: string;
  displayName: string;
  /** `token` (GOPAY_MINIAPP_TOKEN) or `session`. */
  via: string;
}

export interface NamedRef {
  id: string;
  name: string;
}

export interface Binding {
  portal: string;
  space: NamedRef;
  app: NamedRef;
  buildCommand?: string;
  outputDir?: string;
  bump?: string;
  sizeBudget?: number;
  includeSourceMaps?: boolean;
  /** Target apps given by the user (portals that cannot list them). */
  targetApps?: NamedRef[];
}

/** What the portal can do (crates/portal `Capabilities`): nothing else is offered. */
export interface Capabilities {
  steps: string[];
  listSpaces: boolean;
  listApps: boolean;
  listTargetApps: boolean;
  login: string[];
}

export interface ReleaseView {
  releaseId: string;
  targetApp: string;
  targetAppId: string;
  state: ReleaseState;
  stateLabel: string;
  ratio?: number;
  whitelist?: string[];
  rejectReason?: string;
  publishId: string;
  firstRelease: boolean;
  /** Steps legal now for the current user (the sidecar decides). */
  allowedSteps: Step[];
  /** The one step on the main road, for releases in flight. */
  nextStep?: Step;
}

export interface VersionView {
  version: string;
  versionId: string;
  createdAt: string;
  description: string;
  size: number;
  sha256: string;
  releases: ReleaseView[];
}

export interface InFlight {
  version: string;
  state: ReleaseState;
  nextStep?: Step;
}

export interface TargetAppStatus {
  targetApp: string;
  targetAppId: string;
  liveVersion?: string;
  inFlight?: InFlight;
}

export interface JobView {
  command: string;
  project?: string;
  title: string;
  percentage?: number;
  message: string;
}

/** `miniapp/didChangeStatus` and the result of `miniapp.status`. */
export interface StatusSnapshot {
  portal: string;
  /** `native` or `superapp`. */
  backend?: string;
  capabilities?: Capabilities;
  project: string;
  loggedIn: boolean;
  account?: Account;
  problem?: ErrorReport;
  binding?: Binding;
  latestVersion?: string;
  versions: VersionView[];
  targetApps: TargetAppStatus[];
  runningJobs?: JobView[];
}

export interface Space {
  id: string;
  name: string;
}

export interface App {
  id: string;
  name: string;
  spaceId?: string;
}

export interface TargetApp {
  id: string;
  name: string;
  scheme?: string;
}

/** Result of `miniapp.temporaryCode`. */
export interface TemporaryCode {
  appId: string;
  version: string;
  targetApp: string;
  publishId: string;
  deeplink: string;
  expiresAt: string;
  svg?: string;
  pngBase64?: string;
  terminal?: string;
}

/** Result of `miniapp.publish`. */
export interface PublishResult {
  version: string;
  appId: string;
  app: string;
  versionId?: string;
  dryRun: boolean;
  previousVersion?: string;
  packageJsonVersion: string;
  size: number;
  sha256: string;
  files: number;
  identicalToPrevious: boolean;
  elapsedMs: number;
}

/** Result of the release verbs. */
export interface StepResult {
  appId: string;
  version: string;
  versionId: string;
  release: ReleaseView;
  archivedVersion?: string;
  restoredVersion?: string;
}

/** Result of `miniapp.login`. */
export interface LoginResult {
  portal: string;
  username: string;
  displayName: string;
  expiresAt?: string;
  credentialsFile?: string;
}

/** Result of `miniapp.bind`. */
export interface BindResult {
  binding: Binding;
  changed: boolean;
  file: string;
}

/** Result of `miniapp.waitForReview`. */
export interface WaitResult {
  version: string;
  targetApp: string;
  approved: boolean;
  state: ReleaseState;
  rejectReason?: string;
}
