// The sidecar's data, as it arrives on the wire (camelCase JSON). These types mirror the
// result types of the exported command table (src/generated/commands.json, `$defs`, made from
// the Rust types): test/contract.test.ts fails when an interface here and its schema there
// disagree on a field. No `vscode` here.

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
  | 'cancelled'
  /** A state the portal reports that no table of ours places: shown with `statusText`. */
  | 'unknown';

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

/** A typed hint (crates/core/src/hint.rs) with the sidecar's words for it. */
export interface HintReport {
  /** What kind of advice: `logIn`, `bind`, `takeStep`, … (editors map it to buttons). */
  kind: string;
  /** The sidecar's words (empty for `none`). */
  text: string;
  /** The kind's own fields (`input`, `steps`, `url`, …). */
  [field: string]: unknown;
}

export interface ErrorReport {
  code: string;
  message: string;
  hint: HintReport;
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
  /** `native` or `superapp`. */
  backend: string;
  space: NamedRef;
  app: NamedRef;
  buildCommand: string;
  outputDir: string;
  bump: string;
  sizeBudget: number;
  includeSourceMaps: boolean;
  /** Target apps given by the user (portals that cannot list them). */
  targetApps?: GivenTargetApp[];
  /** The `Bx-V` header sent to a SuperApp console, when not the observed default. */
  bxV?: string;
}

/** A target app given by hand at bind time; `production` only when the user said it. */
export interface GivenTargetApp {
  id: string;
  name: string;
  production?: boolean;
}

/** What the portal can do (crates/portal `Capabilities`): nothing else is offered. */
export interface Capabilities {
  steps: string[];
  /** Where this portal takes release notes: with Apply Release, or when the release is made. */
  releaseNotes: 'apply' | 'release';
  listSpaces: boolean;
  listApps: boolean;
  listTargetApps: boolean;
  login: string[];
  accessTokens: boolean;
  audit: boolean;
  reviews: boolean;
  /**
   * The features above done through a route recipe learned on this portal (issue #22,
   * `gopay-miniapp learn`), not a built-in route; absent when none.
   */
  learned?: LearnedFeature[];
}

/** A feature of `Capabilities.learned`: a step by its id, or a list. */
export type LearnedFeature =
  | { kind: 'step'; value: string }
  | { kind: 'listSpaces' | 'listApps' | 'listTargetApps' };

export interface ReleaseView {
  releaseId: string;
  targetApp: string;
  targetAppId: string;
  state: ReleaseState;
  stateLabel: string;
  /** The portal's own words for the state, when it has them. */
  statusText?: string;
  ratio?: number;
  whitelist?: string[];
  rejectReason?: string;
  publishId: string;
  firstRelease: boolean;
  /** Steps legal now for the current user (the sidecar decides). */
  allowedSteps: Step[];
  /** The allowed steps that take the release to another state (not a whitelist set again, a raised grayscale or a temporary code). */
  stateChangingSteps: Step[];
  /** The one step on the main road, for releases in flight. */
  nextStep?: Step;
  /** Waiting on a target-app admin's review: the editor offers to wait for it. */
  awaitsReview: boolean;
}

export interface VersionView {
  version: string;
  versionId: string;
  createdAt: string;
  description: string;
  /** The tool's default description ("Published with gopay-miniapp x.y.z"): prefill nothing from it. */
  descriptionIsDefault: boolean;
  size: number;
  sha256: string;
  releases: ReleaseView[];
  /** The version's page on the portal's own web UI, where the sidecar knows it. */
  page?: string;
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
  /** The portal the project's commands talk to; absent: none chosen yet (Log In offers the presets). */
  portal?: string;
  /** Why that portal: `given`, `binding`, `setting`, `lastLogin`. */
  portalFrom?: string;
  /** The binding's portal, when the request's `portal` disagreed with it. */
  boundElsewhere?: string;
  /** `native` or `superapp` (absent: no portal chosen). */
  backend?: string;
  capabilities: Capabilities;
  project: string;
  loggedIn: boolean;
  account?: Account;
  problem?: ErrorReport;
  binding?: Binding;
  latestVersion?: string;
  versions: VersionView[];
  /** The bound MiniApp's page on the portal's own web UI, where the sidecar knows it. */
  appPage?: string;
  targetApps: TargetAppStatus[];
  runningJobs: JobView[];
  /** What an interrupted publish left and what was done about it (the sidecar words it too). */
  recovered?: Recovery;
}

/** An interrupted publish put right (crates/core/src/journal.rs); the sidecar tells the user. */
export type Recovery = Record<string, unknown>;

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
  scheme: string;
  /** Real users get what is released here: the portal's fact (absent: nobody said). */
  production?: boolean;
}

/** Result of `miniapp.temporaryCode`. */
export type TemporaryCode = TemporaryCodeView;

export interface TemporaryCodeView {
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
  /** package.json, and package-lock.json when it names the version: written (a dry run: would be). */
  bumpedFiles: string[];
  /** The build that ran (a dry run: would run; it does not build). */
  buildCommand?: string;
  built: boolean;
  description: string;
  descriptionSource: DescriptionSource;
  size: number;
  sha256: string;
  files: number;
  identicalToPrevious: boolean;
  elapsedMs: number;
  recovered?: Recovery;
}

/** Where a version's description came from (core's `DescriptionSource`). */
export type DescriptionSource = 'given' | 'lastCommit' | 'default';

/** Result of `miniapp.publishDescription`: what publish uses when no description is given. */
export interface Description {
  description: string;
  source: DescriptionSource;
}

/** The first error of a failed build that names a file of the project (`data.buildError`). */
export interface SourceError {
  /** Relative to the project folder, `/`-separated. */
  file: string;
  line: number;
  column?: number;
  message: string;
}

/** Where a running command is (`$/progress` value's `phase`, core's `events::Phase`). */
export type ProgressPhase =
  | { kind: 'check' | 'latest' | 'login' | 'done' }
  | { kind: 'bump'; version: string }
  | { kind: 'build'; version: string; command: string }
  | { kind: 'pack'; version: string }
  | { kind: 'upload'; version: string; done: number; total: number };

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
  backend: string;
  username: string;
  displayName: string;
  expiresAt?: string;
  credentialsFile: string;
  /** Which store holds the session's secret (the credentials file lists it either way). */
  sessionStore: "keyring" | "file";
}

/** Result of `miniapp.checkPortal`: the portal answered, as `backend`. */
export interface PortalCheck {
  portal: string;
  backend: string;
  /** The preset's name when the URL is one. */
  preset?: string;
  from: string;
}

/** Result of `miniapp.bind`. */
export interface BindResult {
  binding: Binding;
  changed: boolean;
  file: string;
  /** What was given and could not be checked on the portal (`targetAppCode`: the channel codes). */
  unchecked?: string[];
}

/** Result of `miniapp.waitForReview`. */
export interface WaitResult {
  version: string;
  targetApp: string;
  approved: boolean;
  state: ReleaseState;
  rejectReason?: string;
}
