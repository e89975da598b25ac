//! The sidecar's words for core's typed hints and inputs, for people who clicked in an editor:
//! sentences that name actions as an editor's buttons do, and argument names only where a
//! client must pass one; never CLI flags or `gopay-miniapp <verb>` lines.

use gopay_miniapp_core::journal::{self, Recovery};
use gopay_miniapp_core::{Hint, Input, Named};
use gopay_miniapp_portal::{LoginKind, Step, TokenSource};

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
        Input::AllowIdentical => "allowIdentical",
    }
}

/// A way of logging in, for an editor (the CLI shares the session: what the sidecar cannot
/// take, the terminal can).
fn login_words(kind: LoginKind) -> &'static str {
    match kind {
        LoginKind::Password => "with a username and password",
        LoginKind::Browser => "in the browser",
        LoginKind::Token => "with an access token in GOPAY_MINIAPP_TOKEN",
        LoginKind::Cookie => {
            "in a terminal, with the cookie login of the command-line tool and the Cookie header of a logged-in browser tab (the editor then shares that session)"
        }
    }
}

/// A step as the editors' buttons and menus name it (editors/vscode's package.json titles),
/// so a hint names the button the user will click, not the portal's label ("Rollback").
fn step_words(step: Step) -> String {
    match step {
        Step::Approve | Step::Reject => {
            format!("{} (a target-app admin, on the portal)", step.label())
        }
        Step::TemporaryCode => "Show Temporary Code".into(),
        Step::Apply => "Apply Release".into(),
        Step::Withdraw => "Withdraw from Review".into(),
        Step::Whitelist => "Set Whitelist".into(),
        Step::Grayscale => "Start Grayscale".into(),
        Step::Official => "Officially Release".into(),
        Step::Cancel => "Cancel Release".into(),
        Step::Rollback => "Roll Back".into(),
    }
}

/// Where a console step or list is missing: the terminal command that teaches it to the tool
/// (issue #22; learning stays in the terminal), or nothing when it is not learnable.
fn learn_words(feature: gopay_miniapp_portal::Feature) -> String {
    match gopay_miniapp_portal::superapp::learnable(feature) {
        Some(name) => format!(
            " Or teach it to this tool once, in a terminal: `gopay-miniapp learn {name} …` opens the portal in a browser window where you do it (or add `--har FILE` with a HAR your browser saved while you did it there)."
        ),
        None => String::new(),
    }
}

/// A hint, worded for someone who clicked in an editor: sentences naming actions the way an
/// editor's buttons do, never CLI flags, with the argument name only where a client must pass
/// one. Editors show `text` as is and map `kind` to their buttons.
pub fn hint(hint: &Hint) -> String {
    match hint {
        Hint::None => String::new(),
        Hint::LogIn => "Log in again.".into(),
        Hint::NotesGoWith { at } => match at {
            gopay_miniapp_portal::NotesAt::Release => "This portal takes release notes when the release is made: give them with Release (`notes`), not with Apply Release.".into(),
            gopay_miniapp_portal::NotesAt::Apply => "This portal takes release notes at Apply Release (`notes`), not when the release is made.".into(),
        },
        Hint::PassBrowserCheck => {
            "The portal's firewall asks for a browser: Log In with Browser again, then try again.".into()
        }
        Hint::ReplaceAccessToken { from } => match from {
            TokenSource::Argument => "Pass a valid access token as `token` (one made on the portal), or leave `token` out to use the stored login.".into(),
            TokenSource::Environment => "The sidecar's GOPAY_MINIAPP_TOKEN holds that token: set a valid one and restart the sidecar, or unset it to use the stored login.".into(),
        },
        Hint::LogInAnotherWay { ways } if ways.is_empty() => {
            "Log in on another machine that has a browser.".into()
        }
        Hint::LogInAnotherWay { ways } => format!(
            "Log in another way: {}.",
            ways.iter()
                .map(|w| login_words(*w))
                .collect::<Vec<_>>()
                .join(", or ")
        ),
        Hint::CheckCredentials => {
            "Check the username and password (the local demo portal has demo/demo).".into()
        }
        Hint::LoginRefused { way } => match way {
            LoginKind::Password => "Check the username and password, and log in again.".into(),
            LoginKind::Browser => {
                "Log in in the browser again, and approve it on the portal's page in time.".into()
            }
            LoginKind::Token => {
                "Check the access token in GOPAY_MINIAPP_TOKEN (revoked or expired?); create a new one on the portal.".into()
            }
            LoginKind::Cookie => {
                "Copy the Cookie header again from a browser tab where you are logged in to the portal now.".into()
            }
        },
        Hint::TryLoginLater { seconds: Some(s) } => format!(
            "Too many failed logins: wait {s} seconds, then log in with the right password."
        ),
        Hint::TryLoginLater { seconds: None } => {
            "Too many failed logins: wait a while, then log in with the right password.".into()
        }
        Hint::SessionStillOnPortal { until } => format!(
            "Its tokens were removed from this machine, so nothing here can use or renew it; a copy of them elsewhere could, until the portal ends the session{}.",
            until.as_deref().map(|u| format!(" (its access token expires at {u})")).unwrap_or_default()
        ),
        Hint::UseOwnPortalUrl => {
            "Set the portal address to the portal's own address in the settings: it refuses requests made for another address (a proxy, another host name).".into()
        }
        Hint::AskForAccess => "Ask an owner of the space or target app for access.".into(),
        // Learning happens in a terminal; the sidecar never learns, so this is for completeness.
        Hint::SayWhichValue { fields, knowns } => format!(
            "Say what {} is ({} or a literal) with `gopay-miniapp learn … --field FIELD=NAME` in a terminal.",
            fields.join(", "),
            knowns.join(", ")
        ),
        Hint::CheckName { what } => match what {
            Some(Named::Space) => "Check the space; you only see spaces you belong to.",
            Some(Named::App) => "Check the MiniApp's name or id (Bind lists the space's MiniApps).",
            Some(Named::TargetApp) => "Check the target app's name or id.",
            Some(Named::Version) => "Check the version (x.y.z or latest).",
            Some(Named::AccessToken) => "Check the access token's name or id.",
            None => "Check the name or id (the message says what the portal did not find).",
        }
        .into(),
        Hint::ChoosePortal => "Choose the portal (GoPay, GoPay Staging, the local portal or another URL) when you log in, or set it in the settings.".into(),
        Hint::TakeStep { steps, .. } => format!(
            "Possible now: {}.",
            steps
                .iter()
                .map(|s| step_words(*s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Hint::WaitForReview => "Wait for the target-app admin's review.".into(),
        Hint::WaitForDevelopers => {
            "Nothing to do for you yet: the MiniApp's developers take the next step (they apply for review).".into()
        }
        Hint::ReleaseFinished => "This release is finished.".into(),
        Hint::ReleaseFirst {
            version,
            target_app,
        } => format!("Release {version} to \"{target_app}\" first."),
        Hint::ReleaseOfficiallyFirst => "Release a version officially first.".into(),
        Hint::PublishFirst => "Publish a version first.".into(),
        Hint::PublishHigher {
            suggestion: Some(v),
        } => format!("Publish a higher version, e.g. {v}."),
        Hint::PublishHigher { suggestion: None } => {
            "Publish again: the next version follows the portal's latest.".into()
        }
        Hint::ShrinkPackage => {
            "Leave files out with .miniappignore, shrink them, or raise sizeBudget in gopay-miniapp.json.".into()
        }
        Hint::LeaveOutSecrets => {
            "Leave the files out with .miniappignore, or allow secrets (`allowSecrets`) if they are meant to ship.".into()
        }
        Hint::CheckOutputDir => {
            "Run the build, or set outputDir in gopay-miniapp.json to where the build writes.".into()
        }
        Hint::SeeFile => "See the message for the file at fault.".into(),
        Hint::CheckNetwork => "Check the network and the portal address; it is safe to retry.".into(),
        Hint::CheckPortalUrl => "Check the portal address in the settings.".into(),
        // A step by the button's name (ours), never the portal's label.
        Hint::UseThePortal {
            feature: gopay_miniapp_portal::Feature::Step(step),
            url,
        } => format!(
            "{} is not available on this portal through its API: do it on the portal's own pages ({url}).{}",
            step_words(*step),
            learn_words(gopay_miniapp_portal::Feature::Step(*step))
        ),
        Hint::UseThePortal { feature, url } => {
            format!(
                "{feature} is done on the portal's own pages: {url}{}",
                learn_words(*feature)
            )
        }
        Hint::RecordHar => "Learning is done in a terminal: `gopay-miniapp learn FEATURE --har FILE` with a HAR your browser saved while you did the step on the portal.".into(),
        Hint::Bind => "Bind the project to a MiniApp.".into(),
        Hint::FixBinding { file } => format!("Fix {file}, or bind the project again."),
        Hint::FixPackageJson => "Fix package.json and try again.".into(),
        Hint::FixBuild => {
            "Fix the build (its output is in the log), or set buildCommand in gopay-miniapp.json.".into()
        }
        Hint::WaitForOtherPublish => {
            "Wait for it to finish: one publish per project at a time.".into()
        }
        Hint::NothingChanged => "Nothing was changed.".into(),
        Hint::Provide { input } => format!("Pass the `{}` argument.", argument(*input)),
        Hint::RestoreByHand { file, version } => {
            format!("Set \"version\" in {file} back to \"{version}\" by hand.")
        }
        Hint::CheckPermissions => "Check the path and its permissions.".into(),
        Hint::Overwrite => "Pick another output file, or pass \"force\": true to overwrite it.".into(),
        Hint::ResetCredentials { file } => format!("Delete {file} and log in again."),
        Hint::WaitLonger => "Wait longer, or ask the target-app admin.".into(),
        Hint::CheckArguments => "See docs/protocol.md for the command's arguments.".into(),
        Hint::ReportBug => {
            "This is a bug in the GoPay MiniApp sidecar: please report it with the sidecar's log.".into()
        }
        Hint::StartAgain => "Start the sidecar again.".into(),
        Hint::UseDeeplink => "Use the deeplink itself.".into(),
        Hint::Portal { text } => text.clone(),
    }
}

/// An interrupted publish put right, for `window/showMessage`: what was found and done, and
/// what comes next.
pub fn recovery(r: &Recovery) -> String {
    use journal::{BuildCleanup, PackageJsonOutcome as Pj, UploadOutcome, VersionOnPortal as On};
    let outcome = match (&r.version_on_portal, r.package_json) {
        (On::Unknown { reason }, _) => format!(
            "whether the portal made it is not known yet ({reason}); nothing was touched, and the next status will check again"
        ),
        (On::Made, Pj::KeptBump) => "the portal has it, so package.json keeps the new version".into(),
        (On::Made, _) => "the portal has it; package.json was edited meanwhile and was not touched".into(),
        (_, Pj::Restored) => format!(
            "the portal never made it; package.json was put back to {} exactly, and the next publish will make {}",
            r.previous_version, r.version
        ),
        (_, Pj::Unchanged) => "the portal never made it, and package.json had not been changed".into(),
        (_, _) => "the portal never made it; package.json was edited meanwhile, so it was not touched: check its version".into(),
    };
    let mut extra = String::new();
    match r.package_lock {
        None => {}
        Some(lock) if lock == r.package_json => extra.push_str(" package-lock.json likewise."),
        Some(Pj::Restored) => extra.push_str(" package-lock.json was put back exactly."),
        Some(Pj::KeptBump) => extra.push_str(" package-lock.json keeps the new version."),
        Some(Pj::Unchanged) => extra.push_str(" package-lock.json had not been changed."),
        Some(Pj::NotTouched) => extra.push_str(" package-lock.json was not touched."),
        Some(Pj::LeftEdited) => extra.push_str(
            " package-lock.json was edited meanwhile, so it was not touched: check its version.",
        ),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 21 item 25: a hint names steps as the editor's buttons do ("Roll Back", not the
    /// portal's "Rollback"), one wording for one action.
    #[test]
    fn steps_are_named_as_the_editor_names_its_buttons() {
        let text = hint(&Hint::TakeStep {
            steps: vec![Step::Whitelist, Step::Rollback, Step::Withdraw],
            version: None,
            target_app: None,
        });
        assert_eq!(
            text,
            "Possible now: Set Whitelist, Roll Back, Withdraw from Review."
        );
    }

    /// Issue 21 item 7: a step the portal's API lacks is named as the editor's button, never
    /// by the portal's label ("Whitelist Test").
    #[test]
    fn a_step_the_api_lacks_is_named_as_the_button() {
        let text = hint(&Hint::UseThePortal {
            feature: gopay_miniapp_portal::Feature::Step(Step::Whitelist),
            url: "https://console.example".into(),
        });
        assert!(
            text.starts_with("Set Whitelist is not available on this portal"),
            "{text}"
        );
        assert!(!text.contains("Whitelist Test"), "{text}");
        // Issue #22: a learnable step names the terminal command that teaches it; a feature
        // no recipe makes does not.
        assert!(text.contains("`gopay-miniapp learn whitelist …`"), "{text}");
        let lists = hint(&Hint::UseThePortal {
            feature: gopay_miniapp_portal::Feature::ListSpaces,
            url: "https://console.example".into(),
        });
        assert!(lists.contains("`gopay-miniapp learn spaces …`"), "{lists}");
        let tokens = hint(&Hint::UseThePortal {
            feature: gopay_miniapp_portal::Feature::AccessTokens,
            url: "https://console.example".into(),
        });
        assert!(!tokens.contains("learn"), "{tokens}");
    }
}
