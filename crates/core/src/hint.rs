//! What the user can do about an error, and which inputs a question needs, as data. Core
//! never words them for a front end: the CLI renders a hint as a command line, the sidecar as
//! a command id and argument names, the local portal's pages as buttons.

use gopay_miniapp_portal::{Feature, LoginKind, Step, TokenSource, VersionNumber};
use serde::Serialize;

/// An input a workflow needs and could not get (the CLI's flag, the sidecar's argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Input {
    Space,
    App,
    TargetApp,
    Version,
    /// A yes to a confirmation.
    Confirmation,
    Ratio,
    Users,
    Reason,
    Username,
    Password,
    Project,
    Backend,
    /// A target app of a portal that cannot list them: a name and its id (channel code).
    TargetAppCode,
    /// The name of an access token.
    TokenName,
    /// A yes to publishing a package identical to the latest version (`--yes` is not one).
    AllowIdentical,
}

impl Input {
    pub const ALL: [Input; 15] = [
        Input::Space,
        Input::App,
        Input::TargetApp,
        Input::Version,
        Input::Confirmation,
        Input::Ratio,
        Input::Users,
        Input::Reason,
        Input::Username,
        Input::Password,
        Input::Project,
        Input::Backend,
        Input::TargetAppCode,
        Input::TokenName,
        Input::AllowIdentical,
    ];
}

/// What a name or id given by the user named, when nothing matched: each gets its own advice
/// (only spaces depend on membership; a target app or version is checked against the
/// MiniApp's own list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Named {
    Space,
    App,
    TargetApp,
    Version,
    AccessToken,
}

impl std::fmt::Display for Named {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Named::Space => "space",
            Named::App => "MiniApp",
            Named::TargetApp => "target app",
            Named::Version => "version",
            Named::AccessToken => "access token",
        })
    }
}

/// The next thing to do. Each front end words every variant (a test there checks that).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Hint {
    /// Nothing to add.
    None,
    /// Log in (again); in CI, use an access token.
    LogIn,
    /// This portal takes release notes at another step (`at`): give them there.
    NotesGoWith { at: gopay_miniapp_portal::NotesAt },
    /// The portal's anti-bot firewall answered with its browser check: log in through the
    /// browser again (a real browser passes the check; the session it gives is let through).
    PassBrowserCheck,
    /// The access token in use was refused: replace it (where it came `from`), or leave it
    /// out to use the stored login.
    ReplaceAccessToken { from: TokenSource },
    /// This way of logging in cannot work here: one of these can.
    LogInAnotherWay { ways: Vec<LoginKind> },
    /// The username or password is wrong.
    CheckCredentials,
    /// What was given to log in this way (a cookie, an access token, an approval in the
    /// browser) did not log in: give it again. Never "log in", which the user is doing.
    LoginRefused { way: LoginKind },
    /// Too many failed logins: the portal takes the next one after a while.
    TryLoginLater {
        #[serde(skip_serializing_if = "Option::is_none")]
        seconds: Option<u64>,
    },
    /// Logged out here, but the portal could not be told: it holds the session until it
    /// expires (`until`: its access token's expiry, when known).
    SessionStillOnPortal {
        #[serde(skip_serializing_if = "Option::is_none")]
        until: Option<String>,
    },
    /// The portal refused a request made for another address than its own: use the
    /// portal's own address as the portal URL.
    UseOwnPortalUrl,
    /// Someone on the portal must grant access.
    AskForAccess,
    /// `learn`: a recorded value equals more than one known value, or a short known value is in
    /// several fields: say what each of `fields` (the recipe's names) is, one of `knowns` (the
    /// learner's input names) or a literal.
    SayWhichValue {
        fields: Vec<String>,
        knowns: Vec<String>,
    },
    /// Check the name or id of `what` (unknown: the portal said "not found" without naming
    /// it); for spaces, only those the user belongs to are visible.
    CheckName {
        #[serde(skip_serializing_if = "Option::is_none")]
        what: Option<Named>,
    },
    /// Choose the portal (a preset or another URL): nothing says which one.
    ChoosePortal,
    /// One of these steps on the release instead.
    TakeStep {
        steps: Vec<Step>,
        #[serde(skip_serializing_if = "Option::is_none")]
        version: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        target_app: Option<String>,
    },
    /// Wait for the target-app admin's review.
    WaitForReview,
    /// No step is the user's in this state: the MiniApp's developers take the next one
    /// (e.g. apply for review).
    WaitForDevelopers,
    /// The release is finished; nothing more can happen to it.
    ReleaseFinished,
    /// Release the version to the target app first.
    ReleaseFirst { version: String, target_app: String },
    /// Release a version officially first.
    ReleaseOfficiallyFirst,
    /// Publish a version first.
    PublishFirst,
    /// Publish a higher version (e.g. this one).
    PublishHigher {
        #[serde(skip_serializing_if = "Option::is_none")]
        suggestion: Option<VersionNumber>,
    },
    /// Make the package smaller (list what goes in).
    ShrinkPackage,
    /// Leave secrets out, or allow them explicitly.
    LeaveOutSecrets,
    /// Run the build, or point the binding's output dir at the build's output.
    CheckOutputDir,
    /// See the message for the file at fault.
    SeeFile,
    /// The network or the portal failed; safe to retry.
    CheckNetwork,
    /// The URL may not be a portal of this kind.
    CheckPortalUrl,
    /// The portal cannot do this through its API; do it on its web pages.
    UseThePortal { feature: Feature, url: String },
    /// The portal's pages cannot be recorded here (no browser, no window, no terminal):
    /// teach the step from a HAR file saved in the user's own browser instead.
    RecordHar,
    /// Bind the project to a MiniApp.
    Bind,
    /// Fix the binding file (or bind again).
    FixBinding { file: String },
    /// Fix package.json.
    FixPackageJson,
    /// Fix the build, or set the build command.
    FixBuild,
    /// One publish per project at a time.
    WaitForOtherPublish,
    /// Nothing was changed / uploaded.
    NothingChanged,
    /// Supply an input.
    Provide { input: Input },
    /// Set package.json's version back by hand.
    RestoreByHand { file: String, version: String },
    /// Check the path and its permissions.
    CheckPermissions,
    /// An existing file of another kind is in the way: write elsewhere, or ask to overwrite.
    Overwrite,
    /// Delete the credentials file and log in again.
    ResetCredentials { file: String },
    /// Still in review: wait longer, or ask the admin.
    WaitLonger,
    /// The request itself is malformed (a client's bug): see the protocol's documentation.
    CheckArguments,
    /// A bug of ours: report it with the log.
    ReportBug,
    /// The program is stopping: start it again.
    StartAgain,
    /// The QR could not be drawn: the deeplink itself works.
    UseDeeplink,
    /// A sentence of the portal's own (already prose, no commands).
    Portal { text: String },
}
