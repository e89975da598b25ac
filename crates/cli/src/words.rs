//! The CLI's words for core's typed hints and inputs: flags and command lines. This is the
//! only place that writes `gopay-miniapp <verb>`.

use gopay_miniapp_core::journal::{
    BuildCleanup, PackageJsonOutcome, Phase, Recovery, UploadOutcome, VersionOnPortal,
};
use gopay_miniapp_core::{Hint, Input, Named};
use gopay_miniapp_portal::{LoginKind, Step, TokenSource};

/// The flag that supplies an input.
pub fn flag(input: Input) -> &'static str {
    match input {
        Input::Space => "--space",
        Input::App => "--app",
        Input::TargetApp => "--target-app",
        Input::Version => "a version (x.y.z or latest)",
        Input::Confirmation => "--yes",
        Input::Ratio => "--ratio (1–100, above the current ratio)",
        Input::Users => "--users ID,ID… or --users-file FILE",
        Input::Reason => "--reason TEXT",
        Input::Username => "--username",
        Input::Password => "--password-stdin (or --browser, or GOPAY_MINIAPP_TOKEN in CI)",
        Input::Project => "--project DIR",
        Input::Backend => "--backend native|superapp",
        Input::TargetAppCode => "--target-app NAME=ID (repeatable)",
        Input::TokenName => "--name NAME",
        Input::AllowIdentical => "--allow-identical",
    }
}

/// Where a session is kept, for a terminal.
pub fn session_store(store: gopay_miniapp_core::credentials::SessionStore) -> &'static str {
    match store {
        gopay_miniapp_core::credentials::SessionStore::Keyring => "the OS keyring",
        gopay_miniapp_core::credentials::SessionStore::File => "the credentials file",
    }
}

/// The command line of a way of logging in.
pub fn login_command(kind: LoginKind) -> &'static str {
    match kind {
        LoginKind::Password => {
            "`gopay-miniapp login --username U --password-stdin` (fills the portal's login page in a headless browser where the portal has no password API)"
        }
        LoginKind::Browser => "`gopay-miniapp login --browser` (on the portal's own page)",
        LoginKind::Token => "an access token in GOPAY_MINIAPP_TOKEN",
        LoginKind::Cookie => {
            "`gopay-miniapp login --cookie-stdin` (the Cookie header of a logged-in browser tab: developer tools → Network)"
        }
    }
}

/// The verb that takes a step.
pub fn verb(step: Step) -> &'static str {
    match step {
        Step::TemporaryCode => "qr",
        Step::Apply => "apply",
        Step::Withdraw => "withdraw",
        Step::Approve => "review approve",
        Step::Reject => "review reject",
        Step::Whitelist => "whitelist",
        Step::Grayscale => "grayscale",
        Step::Official => "official",
        Step::Cancel => "cancel",
        Step::Rollback => "rollback",
    }
}

/// `gopay-miniapp <verb> [VERSION --target-app "T"]` for a step.
pub fn step_command(step: Step, version: Option<&str>, target_app: Option<&str>) -> String {
    let mut line = format!("gopay-miniapp {}", verb(step));
    if step != Step::Rollback {
        if let Some(version) = version {
            line.push(' ');
            line.push_str(version);
        }
    }
    if let Some(target) = target_app {
        line.push_str(&format!(" --target-app \"{target}\""));
    }
    line
}

/// What to check when a name matched nothing: each kind of name has its own reason.
fn check_name(what: Option<Named>) -> &'static str {
    match what {
        Some(Named::Space) => "check the space's name or id; you only see spaces you belong to (`gopay-miniapp spaces`)",
        Some(Named::App) => "check the MiniApp's name or id (`gopay-miniapp apps` lists the space's MiniApps)",
        Some(Named::TargetApp) => "check the target app's name or id (`gopay-miniapp target-apps` lists them)",
        Some(Named::Version) => "check the version (x.y.z or latest; `gopay-miniapp versions` lists them)",
        Some(Named::AccessToken) => "check the token's name or id (`gopay-miniapp token list`)",
        None => "check the name or id (the message says what the portal did not find)",
    }
}

/// A hint, worded for a terminal.
pub fn hint(hint: &Hint) -> String {
    match hint {
        Hint::None => String::new(),
        Hint::LogIn => "log in: `gopay-miniapp login` (or set GOPAY_MINIAPP_TOKEN in CI)".into(),
        Hint::NotesGoWith { at } => match at {
            gopay_miniapp_portal::NotesAt::Release => "this portal takes release notes when the release is made: `gopay-miniapp release VERSION --target-app T --notes TEXT`".into(),
            gopay_miniapp_portal::NotesAt::Apply => "this portal takes release notes at Apply: `gopay-miniapp apply VERSION --target-app T --notes TEXT`".into(),
        },
        Hint::PassBrowserCheck => "the portal's firewall wants a browser: log in through it again with `gopay-miniapp login --browser`, then run the command again".into(),
        Hint::ReplaceAccessToken { from } => match from {
            TokenSource::Environment => "GOPAY_MINIAPP_TOKEN holds that token: set it to a valid access token (`gopay-miniapp token create`), or unset it to use your login".into(),
            // The CLI takes no token argument; worded for completeness.
            TokenSource::Argument => "pass a valid access token (`gopay-miniapp token create`)".into(),
        },
        Hint::LogInAnotherWay { ways } if ways.is_empty() => {
            "log in on another machine that has a browser".into()
        }
        Hint::LogInAnotherWay { ways } => format!(
            "log in another way: {}",
            ways.iter()
                .map(|w| login_command(*w))
                .collect::<Vec<_>>()
                .join(", or ")
        ),
        Hint::CheckCredentials => {
            "check the username and password (the local demo portal has demo/demo)".into()
        }
        Hint::LoginRefused { way } => match way {
            LoginKind::Password => {
                "check the username and password, then `gopay-miniapp login` again".into()
            }
            LoginKind::Browser => {
                "run `gopay-miniapp login --browser` again and approve it on the page in time".into()
            }
            LoginKind::Token => {
                "check GOPAY_MINIAPP_TOKEN (revoked or expired?): create a new one with `gopay-miniapp token create --name NAME` where you are logged in".into()
            }
            LoginKind::Cookie => {
                "copy the Cookie header again from a browser tab where you are logged in to the portal now, then `gopay-miniapp login --cookie-stdin`".into()
            }
        },
        Hint::TryLoginLater { seconds: Some(s) } => format!(
            "too many failed logins: wait {s} s, then `gopay-miniapp login` with the right password"
        ),
        Hint::TryLoginLater { seconds: None } => {
            "too many failed logins: wait a while, then `gopay-miniapp login` with the right password".into()
        }
        Hint::SessionStillOnPortal { until } => format!(
            "its tokens were removed from this machine, so nothing here can use or renew it; a copy of them elsewhere could, until the portal ends the session{}",
            until.as_deref().map(|u| format!(" (its access token expires at {u})")).unwrap_or_default()
        ),
        Hint::UseOwnPortalUrl => {
            "use the portal's own address as --portal (it refuses requests made for another address, e.g. through a proxy or another host name)".into()
        }
        Hint::AskForAccess => "ask an owner of the space or target app for access".into(),
        Hint::SayWhichValue { fields, knowns } => format!(
            "say what each field is and learn again: {} (each NAME one of {}, or `literal`)",
            fields
                .iter()
                .map(|f| format!("--field {}=NAME", gopay_miniapp_guard::text::Shown(f)))
                .collect::<Vec<_>>()
                .join(" "),
            knowns.join(", ")
        ),
        Hint::CheckName { what } => check_name(*what).into(),
        Hint::ChoosePortal => format!(
            "choose the portal with --portal URL or a preset's name: {}",
            gopay_miniapp_core::presets::PRESETS
                .iter()
                .map(|p| format!("{} ({})", p.id, p.url))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Hint::TakeStep {
            steps,
            version,
            target_app,
        } => format!(
            "allowed now: {}",
            steps
                .iter()
                .map(|s| format!(
                    "`{}`",
                    step_command(*s, version.as_deref(), target_app.as_deref())
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Hint::WaitForReview => "wait for the target-app admin: `gopay-miniapp wait`".into(),
        Hint::WaitForDevelopers => {
            "nothing to do for you yet: the MiniApp's developers take the next step (they apply for review)".into()
        }
        Hint::ReleaseFinished => "this release is finished".into(),
        Hint::ReleaseFirst {
            version,
            target_app,
        } => format!("release it first: `gopay-miniapp release {version} --target-app \"{target_app}\"`"),
        Hint::ReleaseOfficiallyFirst => "release a version officially first".into(),
        Hint::PublishFirst => "publish one first: `gopay-miniapp publish`".into(),
        Hint::PublishHigher {
            suggestion: Some(v),
        } => format!("pass a higher version, e.g. `--bump {v}`"),
        Hint::PublishHigher { suggestion: None } => {
            "publish a higher version, e.g. `gopay-miniapp publish --bump patch`".into()
        }
        Hint::ShrinkPackage => {
            "shrink the package: `gopay-miniapp pack --list` shows the largest files".into()
        }
        Hint::CheckArguments => "see `gopay-miniapp --help`".into(),
        Hint::ReportBug => "this is a bug in gopay-miniapp: please report it with the output of `RUST_LOG=debug`".into(),
        Hint::StartAgain => "run the command again".into(),
        Hint::UseDeeplink => "use the deeplink itself".into(),
        Hint::LeaveOutSecrets => {
            "leave the files out with .miniappignore, or pass --allow-secrets if they are meant to ship"
                .into()
        }
        Hint::CheckOutputDir => {
            "run the build, or set outputDir in gopay-miniapp.json to where the build writes".into()
        }
        Hint::SeeFile => "see the message for the file at fault".into(),
        Hint::CheckNetwork => {
            "check the portal URL and the network (HTTPS_PROXY is honoured); it is safe to retry"
                .into()
        }
        Hint::CheckPortalUrl => {
            "is the portal URL right? `gopay-miniapp doctor --portal URL` tells what it speaks"
                .into()
        }
        Hint::UseThePortal { feature, url } => {
            match gopay_miniapp_portal::superapp::learnable(*feature) {
                Some(name) => format!(
                    "{feature} is done on the portal's own pages: open {url}; or teach it to this tool once: run `gopay-miniapp learn {name} …` and do it in the browser window that opens (or save a HAR of doing it there and add --har FILE)"
                ),
                None => format!("{feature} is done on the portal's own pages: open {url}"),
            }
        }
        Hint::RecordHar => "do the step on the portal in your own browser, save the recording (DevTools, Network, \"Save all as HAR\") and run the same `gopay-miniapp learn` with --har FILE".into(),
        Hint::Bind => "run `gopay-miniapp bind` in the project (or pass --project DIR)".into(),
        Hint::FixBinding { file } => {
            format!("fix {file}, or run `gopay-miniapp bind --yes` to write it again")
        }
        Hint::FixPackageJson => "fix package.json and run the command again".into(),
        Hint::FixBuild => {
            "fix the build (run it yourself to see all output) or set the build command in gopay-miniapp.json"
                .into()
        }
        Hint::WaitForOtherPublish => "wait for it to finish (one publish per project at a time)".into(),
        Hint::NothingChanged => "nothing was changed".into(),
        Hint::Provide { input } => format!("pass {}", flag(*input)),
        Hint::RestoreByHand { file, version } => {
            format!("set \"version\" in {file} back to \"{version}\" by hand")
        }
        Hint::CheckPermissions => "check the path and its permissions".into(),
        Hint::Overwrite => "pick another --out, or pass --force to overwrite it".into(),
        Hint::ResetCredentials { file } => format!("delete {file} and log in again"),
        Hint::WaitLonger => "wait longer (--timeout) or ask the target-app admin".into(),
        Hint::Portal { text } => text.clone(),
    }
}

/// What the next run did about an interrupted publish, as one line for stderr.
pub fn recovery(r: &Recovery) -> String {
    let stage = match r.phase {
        Phase::Bumped => "before its build",
        Phase::Building => "while building",
        Phase::Packing => "while packing",
        Phase::Uploading => "while uploading",
        Phase::Uploaded => "after uploading, before the version was made",
        Phase::VersionMade => "after the version was made",
    };
    let v = &r.version;
    let mut done: Vec<String> = Vec::new();
    if let BuildCleanup::Stopped { processes } = r.build {
        done.push(format!(
            "stopped {processes} left-over build process{}",
            if processes == 1 { "" } else { "es" }
        ));
    }
    match &r.upload {
        UploadOutcome::Abandoned { upload_id } => {
            done.push(format!("abandoned its upload {upload_id}"))
        }
        UploadOutcome::NotAbandoned { upload_id, reason } => done.push(format!(
            "could not abandon its upload {upload_id} ({reason})"
        )),
        UploadOutcome::None | UploadOutcome::Completed { .. } => {}
    }
    done.push(match (&r.version_on_portal, r.package_json) {
        (VersionOnPortal::Unknown { reason }, _) => format!(
            "could not ask the portal whether {v} was made ({reason}): nothing was changed; run `gopay-miniapp status` again once the portal answers"
        ),
        (VersionOnPortal::Made, PackageJsonOutcome::KeptBump) => {
            format!("{v} exists on the portal, so package.json keeps {v}")
        }
        (VersionOnPortal::Made, _) => format!(
            "{v} exists on the portal; package.json was edited since and is left as it is"
        ),
        (_, PackageJsonOutcome::Restored) => format!(
            "{v} was never made; package.json is back at {} byte for byte",
            r.previous_version
        ),
        (_, PackageJsonOutcome::Unchanged) => {
            format!("{v} was never made; package.json had not been changed")
        }
        (_, _) => format!(
            "{v} was never made; package.json was edited since the bump and is left as it is (check its \"version\")"
        ),
    });
    if let Some(lock) = r.package_lock {
        done.push(lock_outcome(lock, r.package_json));
    }
    format!(
        "recovered: a publish of {v} was interrupted {stage}: {}",
        done.join("; ")
    )
}

/// What became of package-lock.json, said after package.json's outcome.
fn lock_outcome(lock: PackageJsonOutcome, package_json: PackageJsonOutcome) -> String {
    match lock {
        same if same == package_json => "package-lock.json likewise".into(),
        PackageJsonOutcome::KeptBump => "package-lock.json keeps the new version".into(),
        PackageJsonOutcome::Restored => "package-lock.json is back byte for byte".into(),
        PackageJsonOutcome::Unchanged => "package-lock.json had not been changed".into(),
        PackageJsonOutcome::NotTouched => "package-lock.json was not touched".into(),
        PackageJsonOutcome::LeftEdited => {
            "package-lock.json was edited since the bump and is left as it is (check its \"version\")".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_causes_have_their_own_words() {
        let wait = hint(&Hint::TryLoginLater { seconds: Some(16) });
        assert!(
            wait.contains("16 s") && wait.contains("too many failed logins"),
            "{wait}"
        );
        let origin = hint(&Hint::UseOwnPortalUrl);
        assert!(!origin.contains("owner"), "{origin}");
        let cookie = hint(&Hint::LoginRefused {
            way: LoginKind::Cookie,
        });
        assert!(cookie.contains("Cookie header"), "{cookie}");
        let still = hint(&Hint::SessionStillOnPortal {
            until: Some("2030-01-01T00:00:00Z".into()),
        });
        assert!(still.contains("2030-01-01T00:00:00Z"), "{still}");
    }

    /// Issue #21 item 22: "you only see spaces you belong to" only for a space.
    #[test]
    fn not_found_hints_name_what_was_not_found() {
        let space = hint(&Hint::CheckName {
            what: Some(Named::Space),
        });
        assert!(space.contains("spaces you belong to"), "{space}");
        for what in [Named::TargetApp, Named::Version, Named::App] {
            let text = hint(&Hint::CheckName { what: Some(what) });
            assert!(!text.contains("spaces"), "{what}: {text}");
        }
        let portal = hint(&Hint::ChoosePortal);
        assert!(
            portal.contains("--portal") && portal.contains("gopay-staging"),
            "{portal}"
        );
    }
}
