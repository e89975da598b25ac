//! Which browser to start: `GOPAY_MINIAPP_BROWSER`, else the usual names on `PATH`, else the
//! usual install paths of Linux, macOS and Windows.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::BrowserError;

/// The environment variable that names the browser's executable.
pub const BROWSER_ENV: &str = "GOPAY_MINIAPP_BROWSER";

/// The names looked for on `PATH`, in this order.
pub const PATH_NAMES: &[&str] = &[
    "google-chrome",
    "google-chrome-stable",
    "chromium",
    "chromium-browser",
    "microsoft-edge",
    "msedge",
];

/// The usual install paths of this platform, in the order they are tried.
pub fn install_paths() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = Vec::new();
    if cfg!(target_os = "macos") {
        for app in [
            "Google Chrome.app/Contents/MacOS/Google Chrome",
            "Chromium.app/Contents/MacOS/Chromium",
            "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
        ] {
            paths.push(Path::new("/Applications").join(app));
            if let Some(home) = std::env::var_os("HOME") {
                paths.push(PathBuf::from(home).join("Applications").join(app));
            }
        }
    } else if cfg!(windows) {
        let roots = ["ProgramFiles", "ProgramFiles(x86)", "LocalAppData"]
            .iter()
            .filter_map(std::env::var_os)
            .map(PathBuf::from)
            .collect::<Vec<_>>();
        for exe in [
            r"Google\Chrome\Application\chrome.exe",
            r"Chromium\Application\chrome.exe",
            r"Microsoft\Edge\Application\msedge.exe",
        ] {
            for root in &roots {
                paths.push(root.join(exe));
            }
        }
    } else {
        for p in [
            "/usr/bin/google-chrome",
            "/usr/bin/google-chrome-stable",
            "/opt/google/chrome/chrome",
            "/usr/bin/chromium",
            "/usr/bin/chromium-browser",
            "/snap/bin/chromium",
            "/usr/bin/microsoft-edge",
            "/opt/microsoft/msedge/msedge",
        ] {
            paths.push(PathBuf::from(p));
        }
    }
    paths
}

/// The browser to start, from this process's environment.
pub fn find_browser() -> Result<PathBuf, BrowserError> {
    find_in(
        std::env::var_os(BROWSER_ENV),
        std::env::var_os("PATH"),
        &install_paths(),
    )
}

/// [`find_browser`] with its inputs given: the variable's value, `PATH`, the install paths.
pub fn find_in(
    env_value: Option<OsString>,
    path: Option<OsString>,
    install_paths: &[PathBuf],
) -> Result<PathBuf, BrowserError> {
    if let Some(given) = env_value.filter(|v| !v.is_empty()) {
        // Set by the user: that one or an error, never a silent fallback to another browser.
        let given_path = PathBuf::from(&given);
        if given_path.components().count() == 1 {
            if let Some(found) = on_path(&given, path.as_ref()) {
                return Ok(found);
            }
        } else if is_executable(&given_path) {
            return Ok(given_path);
        }
        return Err(BrowserError::EnvBrowserMissing {
            value: given.to_string_lossy().into_owned(),
        });
    }
    for name in PATH_NAMES {
        if let Some(found) = on_path(name.as_ref(), path.as_ref()) {
            return Ok(found);
        }
    }
    if let Some(found) = install_paths.iter().find(|p| is_executable(p)) {
        return Ok(found.clone());
    }
    Err(BrowserError::NotFound {
        looked_in: install_paths
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
    })
}

fn on_path(name: &std::ffi::OsStr, path: Option<&OsString>) -> Option<PathBuf> {
    let path = path?;
    for dir in std::env::split_paths(path) {
        let candidate = dir.join(name);
        if is_executable(&candidate) {
            return Some(candidate);
        }
        if cfg!(windows) {
            let exe = candidate.with_extension("exe");
            if is_executable(&exe) {
                return Some(exe);
            }
        }
    }
    None
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn executable(dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        path
    }

    #[test]
    fn the_variable_wins_and_a_wrong_one_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let chrome = executable(dir.path(), "my-chrome");
        let path = Some(dir.path().as_os_str().to_owned());
        assert_eq!(
            find_in(Some(chrome.clone().into()), path.clone(), &[]).unwrap(),
            chrome
        );
        // A bare name is looked up on PATH.
        assert_eq!(
            find_in(Some("my-chrome".into()), path.clone(), &[]).unwrap(),
            chrome
        );
        let err = find_in(Some("/nonexistent".into()), path, &[chrome]).unwrap_err();
        assert!(matches!(err, BrowserError::EnvBrowserMissing { .. }));
        let text = err.to_string();
        assert!(
            text.contains("GOPAY_MINIAPP_BROWSER") && text.contains("/nonexistent"),
            "{text}"
        );
    }

    #[test]
    fn path_names_come_in_order_then_install_paths() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let installed = executable(dir.path(), "installed-chrome");
        let found = || {
            find_in(
                None,
                Some(bin.clone().into()),
                std::slice::from_ref(&installed),
            )
        };
        // Not executable: skipped.
        std::fs::write(bin.join("google-chrome"), "").unwrap();
        assert_eq!(found().unwrap(), installed);
        let edge = executable(&bin, "msedge");
        let chromium = executable(&bin, "chromium");
        assert_eq!(found().unwrap(), chromium);
        std::fs::remove_file(chromium).unwrap();
        assert_eq!(found().unwrap(), edge);
    }

    #[test]
    fn nothing_found_names_the_variable_and_what_was_tried() {
        let dir = tempfile::tempdir().unwrap();
        let err = find_in(
            None,
            Some(dir.path().as_os_str().to_owned()),
            &[dir.path().join("chrome")],
        )
        .unwrap_err();
        let text = err.to_string();
        for needle in [
            "GOPAY_MINIAPP_BROWSER",
            "google-chrome",
            "msedge",
            "chromium",
        ] {
            assert!(text.contains(needle), "{needle} missing from: {text}");
        }
        assert!(text.contains(&dir.path().join("chrome").display().to_string()));
    }
}
