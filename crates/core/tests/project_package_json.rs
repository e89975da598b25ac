//! package.json editing: only the version's bytes change, and restore is byte for byte.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use gopay_miniapp_core::project::package_json::{PackageJson, PackageJsonError};
use gopay_miniapp_portal::VersionNumber;

fn write(dir: &Path, bytes: &[u8]) -> PathBuf {
    let path = dir.join("package.json");
    fs::write(&path, bytes).unwrap();
    path
}

/// `original` with its first "1.2.3" replaced by "1.3.0": what a correct edit produces.
fn expected_after_bump(original: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(original).unwrap();
    text.replacen("1.2.3", "1.3.0", 1).into_bytes()
}

/// Each layout keeps every byte but the version's, and restore gives back the exact original.
#[test]
fn edits_only_the_version_bytes_in_every_layout() {
    let layouts: Vec<(&str, Vec<u8>)> = vec![
        (
            "two spaces",
            b"{\n  \"name\": \"app\",\n  \"version\": \"1.2.3\",\n  \"private\": true\n}\n"
                .to_vec(),
        ),
        (
            "four spaces, version first",
            b"{\n    \"version\": \"1.2.3\",\n    \"name\": \"app\"\n}\n".to_vec(),
        ),
        (
            "tabs",
            b"{\n\t\"name\": \"app\",\n\t\"version\": \"1.2.3\"\n}\n".to_vec(),
        ),
        (
            "CRLF",
            b"{\r\n  \"name\": \"app\",\r\n  \"version\": \"1.2.3\"\r\n}\r\n".to_vec(),
        ),
        (
            "UTF-8 BOM",
            b"\xEF\xBB\xBF{\n  \"name\": \"app\",\n  \"version\": \"1.2.3\"\n}\n".to_vec(),
        ),
        (
            "no final newline, one line",
            br#"{"name":"app","version":"1.2.3","x":[1,2,{"y":null}]}"#.to_vec(),
        ),
        (
            "odd spacing around the colon",
            b"{ \"version\"   :\t\"1.2.3\" , \"name\" : \"app\" }".to_vec(),
        ),
    ];
    for (layout, original) in layouts {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), &original);
        let package = PackageJson::read(&path).unwrap();
        assert_eq!(package.version_str(), "1.2.3", "{layout}");
        assert_eq!(package.name(), Some("app"), "{layout}");

        let edit = package
            .write_version(&VersionNumber::new(1, 3, 0))
            .unwrap_or_else(|e| panic!("{layout}: {e}"));
        assert_eq!(
            fs::read(&path).unwrap(),
            expected_after_bump(&original),
            "{layout}"
        );
        assert_eq!(
            PackageJson::read(&path).unwrap().version().unwrap(),
            VersionNumber::new(1, 3, 0),
            "{layout}"
        );
        edit.restore().unwrap();
        assert_eq!(
            fs::read(&path).unwrap(),
            original,
            "{layout}: restore is byte for byte"
        );
    }
}

/// Look-alikes elsewhere (escaped strings, nested objects, scripts) must not be touched.
#[test]
fn ignores_version_lookalikes_outside_the_top_level_field() {
    let original = br#"{
  "name": "app",
  "description": "set \"version\": \"9.9.9\" \\ and \u00e9",
  "engines": { "version": "8.8.8" },
  "scripts": { "build": "echo \"version\":\"7.7.7\"" },
  "list": ["version", {"version": "6.6.6"}],
  "version": "1.2.3"
}
"#;
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), original);
    let package = PackageJson::read(&path).unwrap();
    assert_eq!(package.version_str(), "1.2.3");
    package
        .write_version(&VersionNumber::new(1, 3, 0))
        .unwrap()
        .commit();
    let after = fs::read_to_string(&path).unwrap();
    assert_eq!(after.as_bytes(), expected_after_bump(original));
    for kept in ["9.9.9", "8.8.8", "7.7.7", "6.6.6"] {
        assert!(after.contains(kept), "{kept} must stay");
    }
}

#[test]
fn commit_keeps_the_new_version_and_drop_restores() {
    let original = b"{\n  \"version\": \"1.2.3\"\n}\n";
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), original);

    let package = PackageJson::read(&path).unwrap();
    let edit = package.write_version(&VersionNumber::new(2, 0, 0)).unwrap();
    assert_eq!(edit.original_version(), "1.2.3");
    assert_eq!(edit.new_version(), VersionNumber::new(2, 0, 0));
    drop(edit);
    assert_eq!(
        fs::read(&path).unwrap(),
        original,
        "dropping the guard restores"
    );

    let package = PackageJson::read(&path).unwrap();
    package
        .write_version(&VersionNumber::new(2, 0, 0))
        .unwrap()
        .commit();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "{\n  \"version\": \"2.0.0\"\n}\n"
    );
}

#[test]
fn keeps_permissions_and_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real-package.json");
    fs::write(&real, b"{\"version\": \"1.2.3\"}").unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("package.json");
    std::os::unix::fs::symlink("real-package.json", &link).unwrap();

    let package = PackageJson::read(&link).unwrap();
    let edit = package.write_version(&VersionNumber::new(1, 2, 4)).unwrap();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read(&real).unwrap(), b"{\"version\": \"1.2.4\"}");
    assert_eq!(
        fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o640
    );
    edit.restore().unwrap();
    assert_eq!(fs::read(&real).unwrap(), b"{\"version\": \"1.2.3\"}");
    assert_eq!(
        fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o640
    );
    // No temporary files are left beside it.
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn refuses_to_overwrite_a_file_changed_since_it_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), b"{\"version\": \"1.2.3\"}");
    let package = PackageJson::read(&path).unwrap();
    fs::write(&path, b"{\"version\": \"1.2.3\", \"edited\": true}").unwrap();
    let err = package
        .write_version(&VersionNumber::new(1, 2, 4))
        .unwrap_err();
    assert!(
        matches!(err, PackageJsonError::ChangedOnDisk { .. }),
        "{err}"
    );
    assert_eq!(
        fs::read(&path).unwrap(),
        b"{\"version\": \"1.2.3\", \"edited\": true}"
    );
}

#[test]
fn missing_version_says_how_to_add_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        b"{\"name\": \"app\", \"engines\": {\"version\": \"1.0.0\"}}",
    );
    let err = PackageJson::read(&path).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, PackageJsonError::MissingVersion { .. }));
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains(r#""version": "0.0.0""#), "{message}");
}

#[test]
fn invalid_json_reports_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        b"{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\",\n}\n",
    );
    let err = PackageJson::read(&path).unwrap_err();
    match &err {
        PackageJsonError::InvalidJson { line, column, .. } => {
            assert_eq!((*line, *column), (4, 1), "{err}");
        }
        other => panic!("expected InvalidJson, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("line 4, column 1"), "{message}");
    assert!(message.contains("package.json"), "{message}");
}

#[test]
fn a_version_that_is_not_x_y_z_names_the_file_and_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), b"{\n  \"version\": \"1.0.0-beta.1\"\n}");
    let package = PackageJson::read(&path).unwrap();
    assert_eq!(package.version_str(), "1.0.0-beta.1");
    let err = package.version().unwrap_err();
    let message = err.to_string();
    assert!(message.contains("\"1.0.0-beta.1\""), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("line 2"), "{message}");
    // It can still be replaced by a proper number.
    package
        .write_version(&VersionNumber::new(1, 0, 0))
        .unwrap()
        .commit();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "{\n  \"version\": \"1.0.0\"\n}"
    );
}

#[test]
fn a_version_that_is_not_a_string_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), b"{\"version\": 1.5}");
    let err = PackageJson::read(&path).unwrap_err();
    assert!(
        matches!(
            err,
            PackageJsonError::VersionNotAString {
                found: "a number",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("\"version\": \"1.0.0\""));
}

#[test]
fn duplicate_version_fields_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        b"{\n\"version\": \"1.0.0\",\n\"version\": \"2.0.0\"\n}",
    );
    let err = PackageJson::read(&path).unwrap_err();
    assert!(err.to_string().contains("lines 2, 3"), "{err}");
}

#[test]
fn top_level_must_be_an_object_and_the_file_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), b"[1, 2]");
    assert!(matches!(
        PackageJson::read(&path).unwrap_err(),
        PackageJsonError::NotAnObject {
            found: "an array",
            ..
        }
    ));
    let missing = dir.path().join("nope").join("package.json");
    let err = PackageJson::read(&missing).unwrap_err();
    assert!(matches!(err, PackageJsonError::Read { .. }));
    assert!(err.to_string().contains("nope"), "{err}");
}

/// The example MiniApp's real package.json round-trips too.
#[test]
fn the_example_miniapp_package_json_round_trips() {
    let source =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello-miniapp/package.json");
    let original = fs::read(&source).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &original);
    let package = PackageJson::read(&path).unwrap();
    assert_eq!(package.name(), Some("hello-miniapp"));
    let current = package.version().unwrap();
    let edit = package
        .write_version(&current.bump(gopay_miniapp_portal::BumpKind::Minor).unwrap())
        .unwrap();
    assert_ne!(fs::read(&path).unwrap(), original);
    edit.restore().unwrap();
    assert_eq!(fs::read(&path).unwrap(), original);
}

/// The write policy (guard::files) on package.json: read-only refused as `npm version` does,
/// mode and group kept, other hard links refused, a symlink inside writes its target, one
/// pointing outside is refused. Nothing is written when refused.
#[test]
fn the_write_policy_applies_to_package_json() {
    use std::os::unix::fs::{symlink, MetadataExt};
    let next: VersionNumber = "1.0.1".parse().unwrap();
    let project = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let path = project.path().join("package.json");
    let original = b"{\"version\": \"1.0.0\"}".to_vec();

    fs::write(&path, &original).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
    let err = PackageJson::read(&path)
        .unwrap()
        .write_version(&next)
        .unwrap_err();
    assert!(err.to_string().contains("is read-only"), "{err}");
    assert_eq!(fs::read(&path).unwrap(), original);

    fs::set_permissions(&path, fs::Permissions::from_mode(0o664)).unwrap();
    let gid = fs::metadata(&path).unwrap().gid();
    let edit = PackageJson::read(&path)
        .unwrap()
        .write_version(&next)
        .unwrap();
    let meta = fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o664);
    assert_eq!(meta.gid(), gid);
    edit.restore().unwrap();
    assert_eq!(fs::read(&path).unwrap(), original);

    fs::hard_link(&path, outside.path().join("twin.json")).unwrap();
    let err = PackageJson::read(&path)
        .unwrap()
        .write_version(&next)
        .unwrap_err();
    assert!(err.to_string().contains("hard links"), "{err}");
    assert_eq!(fs::read(&path).unwrap(), original);
    fs::remove_file(outside.path().join("twin.json")).unwrap();

    fs::remove_file(&path).unwrap();
    let real = project.path().join("app.package.json");
    fs::write(&real, &original).unwrap();
    symlink("app.package.json", &path).unwrap();
    let edit = PackageJson::read(&path)
        .unwrap()
        .write_version(&next)
        .unwrap();
    assert!(fs::symlink_metadata(&path)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(&real).unwrap().contains("1.0.1"));
    edit.restore().unwrap();
    assert_eq!(fs::read(&real).unwrap(), original);

    fs::remove_file(&path).unwrap();
    let victim = outside.path().join("package.json");
    fs::write(&victim, &original).unwrap();
    symlink(&victim, &path).unwrap();
    let err = PackageJson::read(&path)
        .unwrap()
        .write_version(&next)
        .unwrap_err();
    assert!(err.to_string().contains("outside"), "{err}");
    assert_eq!(fs::read(&victim).unwrap(), original);
}

/// Issue #20 (reads bounded): a project file larger than the documented limit (1 MiB) is
/// refused, naming the limit, instead of being read whole, for package.json and for
/// gopay-miniapp.json; one under the limit still reads.
#[test]
fn project_files_over_the_read_limit_are_refused() {
    use gopay_miniapp_guard::limits::PROJECT_FILE_MAX;
    let dir = tempfile::tempdir().unwrap();
    let filler = "a".repeat(PROJECT_FILE_MAX as usize);
    let path = write(
        dir.path(),
        format!(r#"{{"version": "1.2.3", "x": "{filler}"}}"#).as_bytes(),
    );
    let err = PackageJson::read(&path).unwrap_err();
    assert!(matches!(err, PackageJsonError::Read { .. }), "{err:?}");
    assert!(err.to_string().contains("larger than 1 MiB"), "{err}");
    write(dir.path(), br#"{"version": "1.2.3"}"#);
    PackageJson::read(&path).unwrap();

    let binding = dir.path().join("gopay-miniapp.json");
    fs::write(&binding, format!(r#"{{"x": "{filler}"}}"#)).unwrap();
    let err = gopay_miniapp_core::binding::Binding::read(dir.path()).unwrap_err();
    assert!(err.to_string().contains("larger than 1 MiB"), "{err}");
}
