//! The command line: names are part of the product (documented in the README).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use gopay_miniapp_core::workflows::publish::BumpSpec;

#[derive(Debug, Parser)]
#[command(
    name = "gopay-miniapp",
    version,
    about = "Publish and release GoPay MiniApps from the terminal, CI and editors.",
    after_help = "Exit codes: 0 ok, 2 usage, 3 auth, 4 preflight/validation, 5 network (retryable), \
6 refused by the portal, 7 not available on this portal (do it on its web pages), 8 timed out \
(wait: still in review), 9 not learned (learn refused the recording; nothing saved), 130 cancelled. `status` exits with its problem's code when it shows one.\n\
Environment: GOPAY_MINIAPP_PORTAL (portal URL or preset for unbound projects), GOPAY_MINIAPP_TOKEN (CI access token), \
GOPAY_MINIAPP_HOME (credentials directory), GOPAY_MINIAPP_CREDENTIAL_STORE (auto, keyring or file: \
where sessions are kept), RUST_LOG (log filter)."
)]
pub struct Cli {
    /// The MiniApp project (default: the current directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Portal URL, or a preset: gopay, gopay-staging, local. For this command only: it wins
    /// over the binding's portal (with a warning when they differ). Default: the binding's
    /// portal, else GOPAY_MINIAPP_PORTAL, else the last one logged in to, else asked.
    #[arg(long, global = true, value_name = "URL|PRESET")]
    pub portal: Option<String>,
    /// Print exactly one JSON document on stdout; logs and progress go to stderr.
    #[arg(long, global = true)]
    pub json: bool,
    /// Non-interactive: confirm everything; a choice that would need a prompt is an error.
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,
    /// More logging on stderr (-v, -vv).
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in: password (prompted without echo, or --password-stdin), the browser (--browser)
    /// or a Cookie header (--cookie-stdin).
    Login(LoginArgs),
    /// Log out: the portal revokes the session; the stored tokens are deleted.
    Logout,
    /// Who is logged in, on which portal.
    Whoami,
    /// Long-lived access tokens for CI (GOPAY_MINIAPP_TOKEN).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Spaces you belong to.
    Spaces,
    /// MiniApps in a space.
    Apps {
        /// Space name or id (default: the bound space).
        #[arg(long)]
        space: Option<String>,
    },
    /// Target (host) apps a MiniApp can be released to.
    TargetApps,
    /// Bind the project to a MiniApp (writes gopay-miniapp.json; asks before rebinding).
    Bind(BindArgs),
    /// Login, binding, latest version and each target app's release state.
    Status,
    /// Pack the build output exactly as publish would, without the network.
    Pack(PackArgs),
    /// Fetch the latest version, bump package.json, build, pack and upload.
    Publish(PublishArgs),
    /// Upload a ZIP made elsewhere as a new version (the portal's "Upload by Files").
    Upload(UploadArgs),
    /// Versions, newest first, with each target app's release state.
    Versions,
    /// Release a version to a target app (not submitted until Apply).
    Release(ReleaseCmdArgs),
    /// The temporary code: a QR with the working deeplink.
    Qr(QrArgs),
    /// Apply Release: show the release information, confirm, submit for review.
    Apply(ApplyArgs),
    /// Take a release out of review.
    Withdraw(StepArgs),
    /// Wait until the review is done: exit 0 approved, 6 rejected (reason printed).
    Wait(WaitArgs),
    /// Set the whitelist user IDs and start whitelist testing.
    Whitelist(WhitelistArgs),
    /// Start grayscale or raise its ratio (1–100, only up).
    Grayscale(GrayscaleArgs),
    /// Officially release: everyone gets it; the live version is archived.
    Official(StepArgs),
    /// Cancel a release.
    Cancel(StepArgs),
    /// Bring back the last archived version on a target app.
    Rollback {
        #[arg(long)]
        target_app: Option<String>,
        #[command(flatten)]
        dry: DryRunArg,
    },
    /// Learn a step or list the portal's API lacks from a recording of your own portal's
    /// pages (a HAR file): whitelist, grayscale, temporary_code, rollback, withdraw, cancel,
    /// spaces, apps, target_apps. The recipe is shown field by field and saved when you
    /// confirm; it holds no session value. Exit 9 when the recording is refused (nothing
    /// saved). `--list`, `--export`, `--forget FEATURE`.
    Learn(LearnArgs),
    /// What a target-app admin does: approve or reject a release in review.
    Review(ReviewArgs),
    /// The MiniApp's audit log.
    Audit,
    /// Which API a portal speaks (`--portal URL`) and what each of its known read routes
    /// answers, without a session and with the stored one. Only reads; the session is sent,
    /// never shown.
    Doctor,
    /// The whole story against an embedded local portal: publish, release, QR, review,
    /// whitelist, grayscale, official, rollback (`--backend superapp`: the SuperApp console
    /// emulator's story).
    Demo(DemoArgs),
    /// The editor sidecar: JSON-RPC (LSP base protocol) on stdin/stdout.
    Lsp {
        /// Accepted for editors that pass it; stdio is the only transport.
        #[arg(long, hide = true)]
        stdio: bool,
    },
    /// The local portal.
    #[command(subcommand)]
    Portal(PortalCommand),
}

// The structs below carry no doc comment: the variant's is the subcommand's about.

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[arg(long, short = 'u')]
    pub username: Option<String>,
    /// Read the password from the first line of stdin (for scripts).
    #[arg(long)]
    pub password_stdin: bool,
    /// Log in with the browser, on the portal's own page.
    #[arg(long, visible_alias = "device", conflicts_with_all = ["username", "password_stdin"])]
    pub browser: bool,
    /// Read a Cookie header of a logged-in browser session from stdin (machines without a
    /// browser). Never printed.
    #[arg(long, conflicts_with_all = ["username", "password_stdin", "browser"])]
    pub cookie_stdin: bool,
    /// Which API the portal speaks (default: the binding's, else detected).
    #[arg(long, value_parser = parse_backend)]
    pub backend: Option<gopay_miniapp_portal::Backend>,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an access token (the secret is printed once).
    Create {
        #[arg(long)]
        name: String,
        /// Days until it expires (default: never; it can always be revoked).
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// Your access tokens (no secrets).
    List,
    /// Revoke an access token by id or name.
    Revoke { token: String },
}

#[derive(Debug, Args)]
pub struct BindArgs {
    /// Space name or id; where the portal cannot list spaces, its id or NAME=ID (the name is
    /// kept and shown instead of the id).
    #[arg(long, visible_alias = "space-id")]
    pub space: Option<String>,
    /// MiniApp name or id; where the portal cannot list MiniApps, its id or NAME=ID.
    #[arg(long, visible_alias = "app-id")]
    pub app: Option<String>,
    /// A target app as NAME=ID (repeatable; the ID is its channel code, digits on GoPay's
    /// console: "GoPay Staging=1611000000000000000002"), for portals that cannot list them;
    /// add "(production)" or "(testing)" after the ID to say which it is.
    #[arg(long = "target-app", value_name = "NAME=ID")]
    pub target_apps: Vec<String>,
    /// Which API the portal speaks (default: detected by probing it).
    #[arg(long, value_parser = parse_backend)]
    pub backend: Option<gopay_miniapp_portal::Backend>,
}

#[derive(Debug, Args)]
pub struct PackArgs {
    /// Write the ZIP here.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// List the files in the package.
    #[arg(long)]
    pub list: bool,
    /// Pack files that look like secrets instead of refusing.
    #[arg(long)]
    pub allow_secrets: bool,
    /// Overwrite an existing --out file that is not a ZIP (never the project's own files).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// patch, minor, major or an exact X.Y.Z (default: the binding's bump, patch).
    #[arg(long)]
    pub bump: Option<BumpSpec>,
    /// The version's description (default: the subject of the last git commit, else
    /// "Published with gopay-miniapp x.y.z").
    #[arg(long)]
    pub description: Option<String>,
    /// Pack the output folder as it is.
    #[arg(long)]
    pub no_build: bool,
    /// Say what would be done and pack the output folder as it is now: writes no version,
    /// builds nothing, uploads nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Upload files that look like secrets instead of refusing.
    #[arg(long)]
    pub allow_secrets: bool,
    /// Publish a package identical to the latest version (asked otherwise; --yes does not
    /// answer it).
    #[arg(long)]
    pub allow_identical: bool,
}

#[derive(Debug, Args)]
pub struct UploadArgs {
    /// The package: a ZIP with index.html or app.json at its root.
    pub file: PathBuf,
    /// The version number it gets (x.y.z, higher than the latest).
    #[arg(long)]
    pub version: String,
    #[arg(long)]
    pub description: Option<String>,
}

#[derive(Debug, Args, Clone)]
pub struct ReleaseArgs {
    /// The version (x.y.z or `latest`).
    pub version: Option<String>,
    /// Target app name or id.
    #[arg(long)]
    pub target_app: Option<String>,
}

/// `--dry-run` of a step that changes a release.
#[derive(Debug, Args, Clone, Copy)]
pub struct DryRunArg {
    /// Show the exact requests this would send (session values named, not shown) after the
    /// same checks; send nothing and ask no confirmation.
    #[arg(long)]
    pub dry_run: bool,
}

/// A step that takes nothing beyond the release.
#[derive(Debug, Args)]
pub struct StepArgs {
    #[command(flatten)]
    pub release: ReleaseArgs,
    #[command(flatten)]
    pub dry: DryRunArg,
}

#[derive(Debug, Args)]
pub struct QrArgs {
    #[command(flatten)]
    pub release: ReleaseArgs,
    #[command(flatten)]
    pub dry: DryRunArg,
    #[arg(long, value_enum, default_value_t = QrFormat::Terminal)]
    pub format: QrFormat,
    /// Where png/svg go (default: qr-<version>.<format>).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Overwrite an existing --out file that is not of the format written (never the
    /// project's own files).
    #[arg(long)]
    pub force: bool,
    /// A page in the MiniApp to open (mini_app_path).
    #[arg(long)]
    pub path: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReleaseCmdArgs {
    #[command(flatten)]
    pub release: ReleaseArgs,
    /// Release notes for the reviewer, on a portal that takes them when the release is made
    /// (the SuperApp console; default: the version's description). Elsewhere they go with
    /// `apply --notes`.
    #[arg(long)]
    pub notes: Option<String>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub release: ReleaseArgs,
    #[command(flatten)]
    pub dry: DryRunArg,
    /// Release notes (default: the version's description), on a portal that takes them at
    /// Apply (the SuperApp console takes them with `release --notes`).
    #[arg(long)]
    pub notes: Option<String>,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    #[command(flatten)]
    pub release: ReleaseArgs,
    /// Give up after this long, e.g. 90s, 10m, 1h.
    #[arg(long, value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct WhitelistArgs {
    #[command(flatten)]
    pub release: ReleaseArgs,
    #[command(flatten)]
    pub dry: DryRunArg,
    /// Comma-separated user IDs.
    #[arg(long, value_delimiter = ',', required_unless_present = "users_file")]
    pub users: Vec<String>,
    /// A file with user IDs (one per line or comma-separated; `#` comments).
    #[arg(long, value_name = "FILE", conflicts_with = "users")]
    pub users_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GrayscaleArgs {
    #[command(flatten)]
    pub release: ReleaseArgs,
    #[command(flatten)]
    pub dry: DryRunArg,
    #[arg(long, allow_negative_numbers = true)]
    pub ratio: i64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LearnScope {
    User,
    Project,
}

#[derive(Debug, Args)]
pub struct LearnArgs {
    /// The feature to learn (or to forget with --forget).
    #[arg(required_unless_present_any = ["list", "export"])]
    pub feature: Option<String>,
    /// The version the recording acted on (steps; x.y.z or `latest`).
    pub version: Option<String>,
    /// The target app the recording acted on (steps), name or id.
    #[arg(long)]
    pub target_app: Option<String>,
    /// The user IDs the recording sent (whitelist), comma-separated, in order.
    #[arg(long, value_delimiter = ',')]
    pub users: Vec<String>,
    /// The ratio the recording sent (grayscale).
    #[arg(long)]
    pub ratio: Option<u8>,
    /// Lists: the id the recorded answer holds (default: the binding's space, MiniApp or
    /// first target app).
    #[arg(long, value_name = "ID")]
    pub expect: Option<String>,
    /// Lists: the name of that item, as the console shows it.
    #[arg(long)]
    pub name: Option<String>,
    /// Learn from this HAR 1.2 file saved from your browser's Network panel on the portal's
    /// page; without it, learn live: a browser window opens on the portal with your session,
    /// you do the step there, and its requests are recorded until you press Enter or close
    /// the tab.
    #[arg(long, value_name = "FILE")]
    pub har: Option<PathBuf>,
    /// Under --yes, accept this field's literal value (as the recipe names it:
    /// `body.remark`, `2:query.type`); repeatable.
    #[arg(long = "accept-literal", value_name = "FIELD")]
    pub accept_literals: Vec<String>,
    /// Where a recorded value equals more than one known value (a ratio of 10 and a page size
    /// of 10): what FIELD (as the refusal names it) is, an input name (`ratio`, `space_id`,
    /// `app_id`, `channel_code`, `version`, `release_notes`, `release_id`, `version_id`) or
    /// `literal`; repeatable.
    #[arg(long = "field", value_name = "FIELD=NAME")]
    pub fields: Vec<String>,
    /// Each feature: built in, learned (when, where) or missing.
    #[arg(long, conflicts_with_all = ["export", "forget", "har"])]
    pub list: bool,
    /// The learned recipes as stored, for a bug report (no session value).
    #[arg(long, conflicts_with_all = ["forget", "har"])]
    pub export: bool,
    /// Forget FEATURE's learned recipe.
    #[arg(long, conflicts_with = "har")]
    pub forget: bool,
    /// Where to save: `user` (under the tool's home) or `project` (next to the binding, in
    /// gopay-miniapp.recipes/, so a team shares it in git).
    #[arg(long, value_enum, default_value_t = LearnScope::User)]
    pub scope: LearnScope,
    /// Confirm FEATURE's project recipe (it came with the project: it runs only for the
    /// binding's portal, and only once its content is confirmed).
    #[arg(long, conflicts_with_all = ["har", "forget"])]
    pub trust: bool,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    #[arg(value_enum)]
    pub decision: ReviewDecision,
    /// MiniApp id (or the bound app's name).
    #[arg(long)]
    pub app: String,
    #[arg(long)]
    pub version: String,
    #[arg(long)]
    pub target_app: String,
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The example project to copy (default: examples/hello-miniapp of this checkout).
    #[arg(long, value_name = "DIR")]
    pub example: Option<PathBuf>,
    /// The API the embedded portal speaks: native (the whole story) or superapp (the
    /// story the SuperApp console's API supports, against its emulator).
    #[arg(long, value_parser = parse_backend, default_value = "native")]
    pub backend: gopay_miniapp_portal::Backend,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QrFormat {
    Terminal,
    Url,
    Png,
    Svg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReviewDecision {
    Approve,
    Reject,
}

#[derive(Debug, Subcommand)]
pub enum PortalCommand {
    /// Serve the local portal until Ctrl-C.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1:8780")]
    pub addr: SocketAddr,
    /// Where the database and packages live (default: <home>/portal).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Create the demo accounts, spaces, MiniApps and target apps (only if absent).
    #[arg(long)]
    pub seed_demo: bool,
    /// Largest package accepted, in bytes.
    #[arg(long)]
    pub max_package_size: Option<u64>,
    /// Access-token lifetime, e.g. 1h, 30s.
    #[arg(long, value_parser = parse_duration)]
    pub access_token_ttl: Option<std::time::Duration>,
    /// The API to serve: our portal contract (native), or an emulator of the SuperApp
    /// console GoPay's portal runs on (superapp; docs/portal-superapp.md).
    #[arg(long, value_parser = parse_backend, default_value = "native")]
    pub backend: gopay_miniapp_portal::Backend,
    /// With --backend superapp: which of the emulator's two invented consoles its pages
    /// (/console) and their ASSUMED routes follow (a or b; docs/portal-superapp.md).
    #[arg(long, value_name = "a|b", default_value = "a", value_parser = ["a", "b"])]
    pub console_variant: String,
}

pub fn parse_backend(text: &str) -> Result<gopay_miniapp_portal::Backend, String> {
    text.parse()
}

pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 30s, 10m or 1h"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => return Ok(std::time::Duration::from_millis(n)),
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("`{text}` is not a duration like 30s, 10m or 1h")),
    };
    Ok(std::time::Duration::from_secs(secs))
}
