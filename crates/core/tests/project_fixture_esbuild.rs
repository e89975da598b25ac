//! A fixture project built with the real esbuild bundler from npm (`npm ci`, then
//! `npm run build`), then packed: the path a typical MiniApp takes through publish.

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use gopay_miniapp_core::project::build::{Build, BuildStream};
use gopay_miniapp_core::project::pack::{plan, write_archive, PackOptions};
use tokio_util::sync::CancellationToken;

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        let name = entry.file_name();
        // A developer's local install or build must not leak into the test.
        if name == "node_modules" || name == "dist" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[tokio::test]
async fn the_esbuild_fixture_installs_builds_and_packs() {
    let work = tempfile::tempdir().unwrap();
    let project = work.path().join("esbuild-miniapp");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/esbuild-miniapp"),
        &project,
    );
    let cancel = CancellationToken::new();
    let mut log = Vec::new();
    Build::new("npm ci --no-audit --no-fund", &project)
        .run(&cancel, |_, line| log.push(line.to_string()))
        .await
        .unwrap_or_else(|e| panic!("npm ci: {e}"));

    let mut stderr_lines = Vec::new();
    let mut stdout_lines = Vec::new();
    Build::new("npm run build", &project)
        .run(&cancel, |stream, line| match stream {
            BuildStream::Stdout => stdout_lines.push(line.to_string()),
            BuildStream::Stderr => stderr_lines.push(line.to_string()),
        })
        .await
        .unwrap_or_else(|e| panic!("npm run build: {e}"));
    // esbuild reports on stderr, the copy script on stdout: both arrive.
    assert!(
        stderr_lines.iter().any(|l| l.contains("dist/app.js")),
        "{stderr_lines:?}"
    );
    assert!(
        stdout_lines.iter().any(|l| l == "copied index.html"),
        "{stdout_lines:?}"
    );

    let mut options = PackOptions::new(project.join("dist"));
    options.project_root = Some(project.clone());
    options.build_command = Some("npm run build".into());
    let planned = plan(&options).unwrap();
    let archive = work.path().join("package.zip");
    let packed = write_archive(&planned, &archive, |_, _| {}).unwrap();
    assert_eq!(
        packed
            .entries
            .iter()
            .map(|e| e.path.as_str())
            .collect::<Vec<_>>(),
        vec!["app.js", "app.json", "index.html"]
    );
    let status = Command::new("/usr/bin/unzip")
        .arg("-tq")
        .arg(&archive)
        .status()
        .unwrap();
    assert!(status.success());

    let mut zip = zip::ZipArchive::new(fs::File::open(&archive).unwrap()).unwrap();
    let mut bundle = String::new();
    zip.by_name("app.js")
        .unwrap()
        .read_to_string(&mut bundle)
        .unwrap();
    // Bundled (the imports are inlined) and minified (no comments, no import statements).
    assert!(bundle.contains("Hello from an esbuild bundle"), "{bundle}");
    assert!(!bundle.contains("import "), "{bundle}");
    assert!(!bundle.contains("// "), "{bundle}");

    // Running the bundle gives what the sources say.
    let bundle_path = work.path().join("bundle.js");
    fs::write(&bundle_path, &bundle).unwrap();
    let output = Command::new("node")
        .arg("-e")
        .arg(
            "global.document = { getElementById: (id) => ({ set textContent(v) { console.log(id + '=' + v) } }) };\
             require(process.argv[1]);",
        )
        .arg(&bundle_path)
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        printed.contains("greeting=Hello from an esbuild bundle, GoPay!"),
        "{printed}"
    );
    assert!(printed.contains("balance=Rp 125.000"), "{printed}");
}
