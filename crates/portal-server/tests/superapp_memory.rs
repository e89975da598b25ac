//! The SuperApp emulator's multipart `uploadResource` keeps memory flat: a 100 MiB ZIP is
//! streamed to disk, never buffered whole. (Its own test binary, so no other test's
//! allocations blur the peak-memory reading.)

mod common;

use std::io::Write;

use common::portal_with;
use gopay_miniapp_portal_server::superapp;
use gopay_miniapp_portal_server::Backend;
use serde_json::{json, Value};
use tokio_util::io::ReaderStream;

const MIB: u64 = 1024 * 1024;

fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mib_multipart_upload_keeps_memory_flat() {
    let p = portal_with(|c| {
        c.backend = Backend::Superapp;
        c.max_package_size = 128 * MIB;
    })
    .await;
    let store = p.running.as_ref().unwrap().store().clone();
    let ids = tokio::task::spawn_blocking(move || superapp::directory(&store))
        .await
        .unwrap()
        .unwrap();
    let id = |kind: &str, name: &str| {
        ids.iter()
            .find(|e| e.kind == kind && e.name == name)
            .unwrap()
            .id
            .clone()
    };
    let (space, app) = (id("space", "Demo Space"), id("app", "Hello MiniApp"));

    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = http
        .post(format!("{}/login", p.url))
        .form(&[("username", "demo"), ("password", "demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);

    let work = tempfile::tempdir().unwrap();
    let path = work.path().join("big.zip");
    {
        let file = std::fs::File::create(&path).unwrap();
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(false);
        zip.start_file("index.html", opts).unwrap();
        zip.write_all(b"<html></html>").unwrap();
        zip.start_file("assets/blob.bin", opts).unwrap();
        let block: Vec<u8> = (0..MIB).map(|i| (i * 7 % 251) as u8).collect();
        for _ in 0..100 {
            zip.write_all(&block).unwrap();
        }
        zip.finish().unwrap().flush().unwrap();
    }
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 100 * MIB);

    let measured = reset_peak_rss();
    let before = peak_rss().unwrap_or(0);
    let reader = tokio::fs::File::open(&path).await.unwrap();
    let body = reqwest::Body::wrap_stream(ReaderStream::with_capacity(reader, 64 * 1024));
    let name = format!("{app}_v1.0.0_big.zip");
    let part = reqwest::multipart::Part::stream_with_length(body, size)
        .file_name(name.clone())
        .mime_str("application/zip")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("spaceId", space)
        .text("appId", app.clone())
        .text("version", "1.0.0")
        .part("file", part);
    let resp = http
        .post(format!(
            "{}/rest/intercnn/app/version/uploadResource",
            p.url
        ))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let up: Value = resp.json().await.unwrap();
    assert_eq!(up["success"], true, "{up}");
    let created: Value = http
        .post(format!("{}/rest/intercnn/app/version/create", p.url))
        .json(
            &json!({"appId": app, "artifactList": [up["data"]["path"]], "artifactType": "FILE",
                      "name": "1.0.0", "source": "UPLOAD", "version": "1.0.0"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["success"], true, "{created}");
    assert_eq!(created["data"]["size"], size);
    let after = peak_rss().unwrap_or(0);
    let growth = after.saturating_sub(before);
    eprintln!(
        "peak RSS before {} MiB, after {} MiB, growth {} MiB (reset worked: {measured})",
        before / MIB,
        after / MIB,
        growth / MIB
    );
    if measured {
        assert!(
            growth < 12 * MIB,
            "memory grew by {} MiB while uploading 100 MiB",
            growth / MIB
        );
    }
}
