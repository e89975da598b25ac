//! What the in-process suites share: the local portal (crates/portal-server) started on a
//! loopback port with its demo data, and a project folder it can take.

use std::path::{Path, PathBuf};

use gopay_miniapp_portal_server::{start, PortalConfig, RunningPortal};

/// The local portal with its demo data in `dir/portal`; `config` says the rest (a backend, a
/// test clock).
pub async fn seeded_portal(dir: &Path, config: PortalConfig) -> RunningPortal {
    start(PortalConfig {
        data_dir: dir.join("portal"),
        seed_demo: true,
        ..config
    })
    .await
    .expect("the local portal starts")
}

/// `dir/project`: an index page and app.json in src/, and package.json `name` at 1.0.0.
pub fn project(dir: &Path, name: &str) -> PathBuf {
    let project = dir.join("project");
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(
        project.join("src/index.html"),
        "<!doctype html><title>t</title>\n",
    )
    .unwrap();
    std::fs::write(project.join("src/app.json"), "{\"pages\":[\"index\"]}\n").unwrap();
    std::fs::write(
        project.join("package.json"),
        format!("{{\n  \"name\": \"{name}\",\n  \"version\": \"1.0.0\"\n}}\n"),
    )
    .unwrap();
    project
}
