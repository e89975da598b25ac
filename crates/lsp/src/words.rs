//! The sidecar's words for core's typed hints and inputs: command ids and argument names,
//! never CLI flags or `gopay-miniapp <verb>` lines (editors show these to people who
//! clicked, not typed).

use gopay_miniapp_core::journal::{self, Recovery};
use gopay_miniapp_core::{Hint, Input};
use gopay_miniapp_portal::{LoginKind, Step};

use crate::commands::CommandId;

/// The command argument that supplies an input.
pub fn argument(input: Input) -> &'static str {
    match input {
        Input::Space => "space",
        Input::App => "app",
        Input::TargetApp => "targetApp",
        Input::Version => "version",
        Input::Confirmation => "yes",
        Input::Ratio => "ratio",
        Input::Users => "users",
        Input::Reason => "reason",
        Input::Username => "username",
        Input::Password => "password",
        Input::Project => "project",
        Input::Backend => "backend",
        Input::TargetAppCode => "targetApps",
        Input::TokenName => "name",
    }
}

/// A way of logging in, for an editor (the CLI shares the session: what the sidecar cannot
/// take, the terminal can).
fn login_words(kind: LoginKind) -> String {
    let login = crate::commands::spec(CommandId::Login).name;
    match kind {
        LoginKind::Password => format!(
            "with a username and password ({login} with `username` and `password`; a headless browser fills the portal's login page where it has no password API)"
        ),
        LoginKind::Browser => format!("in the browser ({login} without a password)"),
        LoginKind::Token => "an access token in GOPAY_MINIAPP_TOKEN".into(),
        LoginKind::Cookie => {
            "in a terminal, with the Cookie header of a logged-in browser tab (the CLI's login takes it on stdin; the editor then shares that session)".into()
        }
    }
}

/// The command that takes a step (`None` for the admin's review, done on the portal).
pub fn command_for(step: Step) -> Option<CommandId> {
    Some(match step {
        Step::TemporaryCode => CommandId::TemporaryCode,
        Step::Apply => CommandId::ApplyRelease,
        Step::Withdraw => CommandId::WithdrawRelease,
        Step::Whitelist => CommandId::SetWhitelist,
        Step::Grayscale => CommandId::StartGrayscale,
        Step::Official => CommandId::OfficialRelease,
        Step::Cancel => CommandId::CancelRelease,
        Step::Rollback => CommandId::Rollback,
        Step::Approve | Step::Reject => return None,
    })
}

fn step_words(step: Step) -> String {
    match command_for(step) {
        Some(id) => format!("{} ({})", step.label(), crate::commands::spec(id).name),
        None => format!("{} (a target-app admin, on the portal)", step.label()),
    }
}

/// A hint, worded for an editor.
pub fn hint(hint: &Hint) -> String {
    let command = |id: CommandId| crate::commands::spec(id).name;
    match hint {
        Hint::None => String::new(),
        Hint::LogIn => format!("log in again ({})", command(CommandId::Login)),
        Hint::LogInAnotherWay { ways } if ways.is_empty() => {
            "log in on another machine that has a browser".into()
        }
        Hint::LogInAnotherWay { ways } => format!(
            "log in another way: {}",
            ways.iter()
                .map(|w| login_words(*w))
                .collect::<Vec<_>>()
                .join(", or ")
        ),
        Hint::CheckCredentials => {
            "check the username and password (the local demo portal has demo/demo)".into()
        }
        Hint::AskForAccess => "ask an owner of the space or target app for access".into(),
        Hint::CheckName => "check the name or id; you only see spaces you belong to".into(),
        Hint::TakeStep { steps, .. } => format!(
            "possible now: {}",
            steps
                .iter()
                .map(|s| step_words(*s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Hint::WaitForReview => format!(
            "wait for the target-app admin's review ({})",
            command(CommandId::WaitForReview)
        ),
        Hint::ReleaseFinished => "this release is finished".into(),
        Hint::ReleaseFirst {
            version,
            target_app,
        } => format!(
            "release {version} to \"{target_app}\" first ({})",
            command(CommandId::Release)
        ),
        Hint::ReleaseOfficiallyFirst => "release a version officially first".into(),
        Hint::PublishFirst => format!("publish a version first ({})", command(CommandId::Publish)),
        Hint::PublishHigher {
            suggestion: Some(v),
        } => format!("publish a higher version, e.g. with `bump` \"{v}\""),
        Hint::PublishHigher { suggestion: None } => {
            "publish a higher version (the `bump` argument)".into()
        }
        Hint::ShrinkPackage => format!(
            "shrink the package: {} with `list` shows the largest files",
            command(CommandId::Pack)
        ),
        Hint::LeaveOutSecrets => {
            "leave the files out with .miniappignore, or pass `allowSecrets` if they are meant to ship"
                .into()
        }
        Hint::CheckOutputDir => {
            "run the build, or set outputDir in gopay-miniapp.json to where the build writes".into()
        }
        Hint::SeeFile => "see the message for the file at fault".into(),
        Hint::CheckNetwork => "check the network and the portal address; it is safe to retry".into(),
        Hint::CheckPortalUrl => "check the portal address in the settings".into(),
        Hint::UseThePortal { feature, url } => {
            format!("{feature} is done on the portal's own pages: {url}")
        }
        Hint::Bind => format!(
            "bind the project to a MiniApp ({})",
            command(CommandId::Bind)
        ),
        Hint::FixBinding { file } => format!(
            "fix {file}, or bind again ({})",
            command(CommandId::Bind)
        ),
        Hint::FixPackageJson => "fix package.json and try again".into(),
        Hint::FixBuild => {
            "fix the build (its output is in the log) or set buildCommand in gopay-miniapp.json"
                .into()
        }
        Hint::WaitForOtherPublish => "wait for it to finish (one publish per project at a time)".into(),
        Hint::NothingChanged => "nothing was changed".into(),
        Hint::Provide { input } => format!("pass the `{}` argument", argument(*input)),
        Hint::RestoreByHand { file, version } => {
            format!("set \"version\" in {file} back to \"{version}\" by hand")
        }
        Hint::CheckPermissions => "check the path and its permissions".into(),
        Hint::ResetCredentials { file } => format!("delete {file} and log in again"),
        Hint::WaitLonger => "wait longer, or ask the target-app admin".into(),
        Hint::Portal { text } => text.clone(),
    }
}

/// An interrupted publish put right, for `window/showMessage`: what was found and done, and
/// the command to go on with.
pub fn recovery(r: &Recovery) -> String {
    use journal::{BuildCleanup, PackageJsonOutcome as Pj, UploadOutcome, VersionOnPortal as On};
    let publish = crate::commands::spec(CommandId::Publish).name;
    let status = crate::commands::spec(CommandId::Status).name;
    let outcome = match (&r.version_on_portal, r.package_json) {
        (On::Unknown { reason }, _) => format!(
            "whether the portal made it is not known yet ({reason}); nothing was touched and {status} will check again"
        ),
        (On::Made, Pj::KeptBump) => "the portal has it, so package.json keeps the new version".into(),
        (On::Made, _) => "the portal has it; package.json was edited meanwhile and was not touched".into(),
        (_, Pj::Restored) => format!(
            "the portal never made it; package.json was put back to {} exactly, and {publish} will make {} next",
            r.previous_version, r.version
        ),
        (_, Pj::Unchanged) => "the portal never made it, and package.json had not been changed".into(),
        (_, _) => "the portal never made it; package.json was edited meanwhile, so it was not touched: check its version".into(),
    };
    let mut extra = String::new();
    if let BuildCleanup::Stopped { processes } = r.build {
        extra.push_str(&format!(
            " Its build was still running ({processes} processes) and was stopped."
        ));
    }
    if let UploadOutcome::Abandoned { .. } = r.upload {
        extra.push_str(" Its unfinished upload was abandoned on the portal.");
    }
    format!(
        "A publish of {} was cut off ({}): {outcome}.{extra}",
        r.version,
        r.phase.as_str()
    )
}
