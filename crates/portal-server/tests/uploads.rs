//! Versions and uploads over real HTTP: version rules, idempotency, resume, a connection cut
//! mid-chunk, checksums, size limits, package checks, and concurrent uploads.

mod common;

use std::time::Duration;

use common::{make_zip, package, portal, portal_with, sha256_hex, Portal};
use reqwest::Method;
use serde_json::json;
use tokio::io::AsyncWriteExt;

const MIB: usize = 1024 * 1024;

/// A valid package of about `size` bytes (stored, so the size is what it says).
fn big_package(size: usize, seed: u8) -> Vec<u8> {
    let data: Vec<u8> = (0..size)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect();
    make_zip(&[("index.html", b"<html></html>"), ("data.bin", &data)])
}

#[tokio::test]
async fn version_numbers_must_be_x_y_z_and_only_go_up() {
    let p = portal().await;
    let demo = p.login("demo", "demo").await;
    let app = p.app_id(&demo, "Hello MiniApp").await;
    let bytes = package("a");

    p.get(&demo, &format!("/api/v1/apps/{app}/versions/latest"))
        .await
        .err(404, "not_found");
    for bad in [json!("1.2"), json!("v1.2.3"), json!("01.2.3"), json!(123)] {
        let err = p
            .post(
                &demo,
                &format!("/api/v1/apps/{app}/uploads"),
                json!({"version": bad, "size": bytes.len(), "sha256": sha256_hex(&bytes)}),
            )
            .await
            .err(400, "invalid_version");
        assert_eq!(err["field"], "version");
    }
    let err = p
        .post(
            &demo,
            &format!("/api/v1/apps/{app}/uploads"),
            json!({"version": "1.0.0", "size": bytes.len(), "sha256": "abc"}),
        )
        .await
        .err(400, "invalid_request");
    assert_eq!(err["field"], "sha256");
    let err = p
        .post(
            &demo,
            &format!("/api/v1/apps/{app}/uploads"),
            json!({"version": "1.0.0", "sha256": sha256_hex(&bytes)}),
        )
        .await
        .err(400, "invalid_request");
    assert_eq!(err["field"], "size");

    let v1 = p.upload(&demo, &app, "1.9.0").await;
    assert_eq!(v1["version"], "1.9.0");
    assert_eq!(v1["createdBy"], "demo");
    assert!(v1["id"].as_str().unwrap().starts_with("ver_"));

    // The same number with other bytes, and lower numbers, are refused, naming the latest.
    for version in ["1.9.0", "1.8.9", "0.1.0"] {
        let err = p
            .open_upload(&demo, &app, version, &package("other"))
            .await
            .err(409, "version_not_higher");
        assert!(err["message"].as_str().unwrap().contains("1.9.0"), "{err}");
        assert!(err["hint"].as_str().unwrap().contains("1.9.1"), "{err}");
    }
    // Numeric, not string, order.
    p.upload(&demo, &app, "1.10.0").await;
    let latest = p
        .get(&demo, &format!("/api/v1/apps/{app}/versions/latest"))
        .await
        .ok();
    assert_eq!(latest["version"], "1.10.0");
    let list = p
        .get(&demo, &format!("/api/v1/apps/{app}/versions"))
        .await
        .ok();
    let numbers: Vec<&str> = list["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["1.10.0", "1.9.0"]);

    // The package store holds the bytes under their sha256.
    let sha = latest["sha256"].as_str().unwrap();
    let stored = p
        .dir
        .path()
        .join("packages")
        .join(&sha[..2])
        .join(format!("{sha}.zip"));
    assert_eq!(sha256_hex(&std::fs::read(stored).unwrap()), sha);

    let audit = p
        .get(&demo, &format!("/api/v1/apps/{app}/audit"))
        .await
        .ok();
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "version.create",
            "upload.open",
            "version.create",
            "upload.open"
        ]
    );
    assert_eq!(audit["entries"][0]["actor"], "demo");
    assert!(audit["entries"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("1.10.0"));
}

#[tokio::test]
async fn uploads_are_idempotent_and_resumable() {
    let p = portal().await;
    let demo = p.login("demo", "demo").await;
    let app = p.app_id(&demo, "Hello MiniApp").await;
    let bytes = big_package(3 * MIB, 1);

    let first = p.open_upload(&demo, &app, "1.0.0", &bytes).await;
    assert_eq!(first.status, 201);
    let first = first.ok();
    let id = first["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("up_"));
    assert_eq!(first["received"], 0);
    assert_eq!(first["state"], "open");
    assert_eq!(first["maxChunkSize"], 16 * MIB);

    let receipt = p.put_chunk(&demo, &id, 0, &bytes[..MIB]).await.ok();
    assert_eq!(receipt["received"], MIB);

    // A retry of "open" is the same upload, with the resume point.
    let again = p.open_upload(&demo, &app, "1.0.0", &bytes).await;
    assert_eq!(again.status, 200);
    let again = again.ok();
    assert_eq!(again["id"], id.as_str());
    assert_eq!(again["received"], MIB);
    let got = p.get(&demo, &format!("/api/v1/uploads/{id}")).await.ok();
    assert_eq!(got["received"], MIB);

    // A chunk at the wrong offset says where to resume.
    let err = p
        .put_chunk(&demo, &id, 0, &bytes[..MIB])
        .await
        .err(409, "offset_mismatch");
    assert_eq!(err["received"], MIB);
    assert_eq!(err["retryable"], false);

    // Completing early is refused.
    let err = p.complete(&demo, &id).await.err(409, "upload_incomplete");
    assert_eq!(err["received"], MIB);

    p.put_chunk(&demo, &id, MIB, &bytes[MIB..]).await.ok();
    let done = p.complete(&demo, &id).await;
    assert_eq!(done.status, 201);
    let version = done.ok();
    assert_eq!(version["version"], "1.0.0");
    assert_eq!(version["sha256"], sha256_hex(&bytes));
    assert_eq!(version["size"], bytes.len());

    // Completing again, and opening again, return the same version: never a second one.
    let done_again = p.complete(&demo, &id).await;
    assert_eq!(done_again.status, 200);
    assert_eq!(done_again.ok()["id"], version["id"]);
    let reopened = p.open_upload(&demo, &app, "1.0.0", &bytes).await.ok();
    assert_eq!(reopened["id"], id.as_str());
    assert_eq!(reopened["state"], "complete");
    assert_eq!(reopened["versionId"], version["id"]);
    let list = p
        .get(&demo, &format!("/api/v1/apps/{app}/versions"))
        .await
        .ok();
    assert_eq!(list["versions"].as_array().unwrap().len(), 1);
    // Chunks after completion are refused.
    p.put_chunk(&demo, &id, 0, &bytes[..10])
        .await
        .err(409, "offset_mismatch");
    // No part file is left behind.
    assert!(!p
        .dir
        .path()
        .join("uploads")
        .join(format!("{id}.part"))
        .exists());
}

fn part_len(p: &Portal, id: &str) -> u64 {
    std::fs::metadata(p.dir.path().join("uploads").join(format!("{id}.part")))
        .map(|m| m.len())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_cut_off_mid_body_is_not_counted() {
    let p = portal().await;
    let demo = p.login("demo", "demo").await;
    let app = p.app_id(&demo, "Hello MiniApp").await;
    let bytes = big_package(2 * MIB, 2);
    let id = p.open_upload(&demo, &app, "1.0.0", &bytes).await.ok()["id"]
        .as_str()
        .unwrap()
        .to_string();
    p.put_chunk(&demo, &id, 0, &bytes[..MIB]).await.ok();

    // Half a chunk over a raw socket, then hang up.
    let chunk = &bytes[MIB..];
    let addr = p.running.as_ref().unwrap().local_addr;
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PUT /api/v1/uploads/{id}/chunks/{MIB} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {demo}\r\n\
X-Chunk-Sha256: {}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n\r\n",
        sha256_hex(chunk),
        chunk.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&chunk[..chunk.len() / 2]).await.unwrap();
    socket.flush().await.unwrap();
    // Wait until the portal has written some of those bytes...
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while part_len(&p, &id) <= MIB as u64 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the portal never received the half chunk"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // ...then cut the connection.
    drop(socket);

    // Once the portal has let go of the upload (a wrong-offset probe is refused without
    // "retryable"), the part file is back at the boundary and `received` never moved.
    loop {
        let err = p
            .put_chunk(&demo, &id, 0, b"probe")
            .await
            .err(409, "offset_mismatch");
        if err["retryable"] == false {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the upload stayed locked"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(part_len(&p, &id), MIB as u64);
    let got = p.get(&demo, &format!("/api/v1/uploads/{id}")).await.ok();
    assert_eq!(got["received"], MIB);

    // Resume from there and finish.
    p.put_chunk(&demo, &id, MIB, chunk).await.ok();
    let version = p.complete(&demo, &id).await.ok();
    assert_eq!(version["sha256"], sha256_hex(&bytes));
}

#[tokio::test]
async fn checksum_mismatches_are_refused_and_cut_back() {
    let p = portal().await;
    let demo = p.login("demo", "demo").await;
    let app = p.app_id(&demo, "Hello MiniApp").await;
    let bytes = big_package(MIB, 3);
    let id = p.open_upload(&demo, &app, "1.0.0", &bytes).await.ok()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let half = bytes.len() / 2;
    p.put_chunk(&demo, &id, 0, &bytes[..half]).await.ok();

    // A chunk damaged on the way: refused, retryable, nothing counted.
    let wrong = sha256_hex(b"something else");
    let err = p
        .put_chunk_with_sha(&demo, &id, half, &bytes[half..], &wrong)
        .await
        .err(422, "checksum_mismatch");
    assert_eq!(err["retryable"], true);
    assert_eq!(err["received"], half);
    assert_eq!(part_len(&p, &id), half as u64);
    let got = p.get(&demo, &format!("/api/v1/uploads/{id}")).await.ok();
    assert_eq!(got["received"], half);
    // A missing or malformed header is a bad request.
    let resp = p
        .http
        .put(p.url(&format!("/api/v1/uploads/{id}/chunks/{half}")))
        .bearer_auth(&demo)
        .body(bytes[half..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    p.put_chunk_with_sha(&demo, &id, half, &bytes[half..], "xyz")
        .await
        .err(400, "invalid_request");

    p.put_chunk(&demo, &id, half, &bytes[half..]).await.ok();
    p.complete(&demo, &id).await.ok();

    // Every chunk fine but the whole is not the declared package: the upload starts over.
    let real = package("real-bytes");
    let declared = package("else-bytes"); // same length, other bytes
    assert_eq!(real.len(), declared.len());
    let up = p
        .post(
            &demo,
            &format!("/api/v1/apps/{app}/uploads"),
            json!({"version": "1.0.1", "size": real.len(), "sha256": sha256_hex(&declared)}),
        )
        .await
        .ok();
    let id = up["id"].as_str().unwrap().to_string();
    p.put_chunk(&demo, &id, 0, &real).await.ok();
    let err = p.complete(&demo, &id).await.err(422, "checksum_mismatch");
    assert_eq!(err["received"], 0);
    assert_eq!(err["retryable"], true);
    let got = p.get(&demo, &format!("/api/v1/uploads/{id}")).await.ok();
    assert_eq!(got["received"], 0);
    assert_eq!(got["state"], "open");
    // Sending the right bytes now completes it.
    p.put_chunk(&demo, &id, 0, &declared).await.ok();
    let version = p.complete(&demo, &id).await.ok();
    assert_eq!(version["version"], "1.0.1");
}

#[tokio::test]
async fn too_large_packages_and_chunks_are_refused() {
    let p = portal_with(|c| c.max_package_size = 1000).await;
    let demo = p.login("demo", "demo").await;
    let app = p.app_id(&demo, "Hello MiniApp").await;
    let err = p
        .post(
            &demo,
            &format!("/api/v1/apps/{app}/uploads"),
            json!({"version": "1.0.0", "size": 2000, "sha256": sha256_hex(b"x")}),
        )
        .await
        .err(413, "too_large");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains("2000") && message.contains("1000"),
        "{message}"
    );

    // A chunk running past the declared size.
    let bytes = package("small");
    assert!(bytes.len() < 1000);
    let id = p.open_upload(&demo, &app, "1.0.0", &bytes).await.ok()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"extra");
    p.put_chunk(&demo, &id, 0, &longer)
        .await
        .err(413, "too_large");
    assert_eq!(part_len(&p, &id), 0);
    p.put_chunk(&demo, &id, 0, &bytes).await.ok();
    p.complete(&demo, &id).await.ok();
}

/// Issue #20 item 10: entries that escape or lie (a link, a drive letter, NUL, a backslash)
/// and a ZIP bomb (about 1 MiB unpacking to 1 GiB, with true or lying headers) are refused
/// by the package entry rules, and the upload is discarded.
#[tokio::test]
async fn escaping_entries_links_and_zip_bombs_are_refused() {
    use gopay_miniapp_guard::entries::testing::{raw_zip, zero_bomb, RawEntry};
    let p = portal().await;
    let demo = p.login("demo", "demo").await;
    let app = p.app_id(&demo, "Hello MiniApp").await;
    let index = || RawEntry::stored(b"index.html", b"<html></html>");
    let mut link = RawEntry::stored(b"secrets", b"/etc/passwd");
    link.unix_mode = 0o120777;
    let cases: [(Vec<u8>, &str); 6] = [
        (raw_zip(&[index(), link]), "symbolic link"),
        (
            raw_zip(&[index(), RawEntry::stored(b"C:/evil.bat", b"x")]),
            "drive letter",
        ),
        (
            raw_zip(&[index(), RawEntry::stored(b"pages\\a.js", b"x")]),
            "backslash",
        ),
        (
            raw_zip(&[index(), RawEntry::stored(b"a\x00b.js", b"x")]),
            "control character",
        ),
        (
            raw_zip(&[index(), zero_bomb(b"bomb.bin", 1024, None)]),
            "over the limit",
        ),
        (
            raw_zip(&[index(), zero_bomb(b"bomb.bin", 1024, Some(1000))]),
            "lies about its sizes",
        ),
    ];
    for (bytes, why) in cases {
        assert!(bytes.len() < 2 * MIB, "{}", bytes.len());
        let id = p.open_upload(&demo, &app, "1.0.0", &bytes).await.ok()["id"]
            .as_str()
            .unwrap()
            .to_string();
        p.put_chunk(&demo, &id, 0, &bytes).await.ok();
        let err = p.complete(&demo, &id).await.err(422, "invalid_package");
        assert!(
            err["message"].as_str().unwrap().contains(why),
            "{why}: {err}"
        );
        p.get(&demo, &format!("/api/v1/uploads/{id}"))
            .await
            .err(404, "not_found");
    }
}

#[tokio::test]
async fn only_miniapp_packages_are_accepted() {
    let p = portal().await;
    let demo = p.login("demo", "demo").await;
    let app = p.app_id(&demo, "Hello MiniApp").await;

    let cases: [(Vec<u8>, &str); 4] = [
        (
            b"this is not a zip file at all".to_vec(),
            "not a readable ZIP",
        ),
        (
            make_zip(&[("readme.txt", b"hi")]),
            "no index.html or app.json",
        ),
        (
            make_zip(&[("dist/index.html", b"<html></html>")]),
            "zip the folder's contents",
        ),
        (
            make_zip(&[("index.html", b"x"), ("../evil.sh", b"rm -rf")]),
            "outside the package",
        ),
    ];
    for (bytes, why) in cases {
        let id = p.open_upload(&demo, &app, "1.0.0", &bytes).await.ok()["id"]
            .as_str()
            .unwrap()
            .to_string();
        p.put_chunk(&demo, &id, 0, &bytes).await.ok();
        let err = p.complete(&demo, &id).await.err(422, "invalid_package");
        assert!(err["message"].as_str().unwrap().contains(why), "{err}");
        // The upload is discarded.
        p.get(&demo, &format!("/api/v1/uploads/{id}"))
            .await
            .err(404, "not_found");
    }
    // app.json alone is fine.
    let bytes = make_zip(&[("app.json", b"{}")]);
    p.upload_chunked(&demo, &app, "1.0.0", &bytes, 100).await;
}

#[tokio::test]
async fn aborting_frees_the_upload() {
    let p = portal().await;
    let demo = p.login("demo", "demo").await;
    let app = p.app_id(&demo, "Hello MiniApp").await;
    let bytes = package("abort");
    let id = p.open_upload(&demo, &app, "1.0.0", &bytes).await.ok()["id"]
        .as_str()
        .unwrap()
        .to_string();
    p.put_chunk(&demo, &id, 0, &bytes[..100]).await.ok();
    assert_eq!(part_len(&p, &id), 100);
    assert_eq!(
        p.delete(&demo, &format!("/api/v1/uploads/{id}"))
            .await
            .status,
        204
    );
    assert!(!p
        .dir
        .path()
        .join("uploads")
        .join(format!("{id}.part"))
        .exists());
    p.get(&demo, &format!("/api/v1/uploads/{id}"))
        .await
        .err(404, "not_found");
    assert_eq!(
        p.delete(&demo, &format!("/api/v1/uploads/{id}"))
            .await
            .status,
        204
    );
    // A new upload of the same package starts from zero.
    let again = p.open_upload(&demo, &app, "1.0.0", &bytes).await.ok();
    assert_ne!(again["id"], id.as_str());
    assert_eq!(again["received"], 0);
}

#[tokio::test]
async fn uploads_of_other_spaces_are_not_found() {
    let p = portal().await;
    let demo = p.login("demo", "demo").await;
    let other = p.login("other", "other").await;
    let app = p.app_id(&demo, "Hello MiniApp").await;
    let bytes = package("mine");
    let id = p.open_upload(&demo, &app, "1.0.0", &bytes).await.ok()["id"]
        .as_str()
        .unwrap()
        .to_string();
    p.open_upload(&other, &app, "1.0.0", &bytes)
        .await
        .err(404, "not_found");
    p.get(&other, &format!("/api/v1/uploads/{id}"))
        .await
        .err(404, "not_found");
    p.put_chunk(&other, &id, 0, &bytes)
        .await
        .err(404, "not_found");
    p.complete(&other, &id).await.err(404, "not_found");
    p.delete(&other, &format!("/api/v1/uploads/{id}"))
        .await
        .err(404, "not_found");
    p.send(
        Method::GET,
        &format!("/api/v1/uploads/{id}"),
        Some(&demo),
        None,
    )
    .await
    .ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_concurrent_uploads() {
    let p = portal().await;
    let demo = p.login("demo", "demo").await;
    let store = p.running.as_ref().unwrap().store().clone();
    let (space, _) = p.first_space(&demo).await;
    let mut apps = Vec::new();
    for i in 0..8 {
        apps.push(
            store
                .ensure_app(&space, &format!("Concurrent {i}"))
                .unwrap(),
        );
    }
    let p = std::sync::Arc::new(p);
    let mut tasks = Vec::new();
    for (i, app) in apps.iter().enumerate() {
        let p = p.clone();
        let demo = demo.clone();
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let bytes = big_package(MIB + i * 1000, i as u8);
            let version = p
                .upload_chunked(&demo, &app, "1.0.0", &bytes, 128 * 1024)
                .await;
            (version, sha256_hex(&bytes))
        }));
    }
    for task in tasks {
        let (version, sha) = task.await.unwrap();
        assert_eq!(version["sha256"], sha);
        let app = version["appId"].as_str().unwrap();
        let latest = p
            .get(&demo, &format!("/api/v1/apps/{app}/versions/latest"))
            .await
            .ok();
        assert_eq!(latest["sha256"], sha);
    }
}

/// Two uploads race for one version: the loser's next chunk (or completion) hears that the
/// version was made meanwhile, not "upload … was not found; check the id" (issue #20 item 25).
#[tokio::test]
async fn the_loser_of_an_upload_race_hears_the_version_was_made_meanwhile() {
    let p = portal().await;
    let demo = p.login("demo", "demo").await;
    let app = p.app_id(&demo, "Hello MiniApp").await;
    let winner_bytes = big_package(MIB, 7);
    let loser_bytes = big_package(MIB, 8);
    let winner = p
        .open_upload(&demo, &app, "1.0.0", &winner_bytes)
        .await
        .ok();
    let loser = p.open_upload(&demo, &app, "1.0.0", &loser_bytes).await.ok();
    let (winner, loser) = (
        winner["id"].as_str().unwrap().to_string(),
        loser["id"].as_str().unwrap().to_string(),
    );
    p.put_chunk(&demo, &loser, 0, &loser_bytes[..1000])
        .await
        .ok();
    p.put_chunk(&demo, &winner, 0, &winner_bytes).await.ok();
    assert_eq!(p.complete(&demo, &winner).await.status, 201);

    for refused in [
        p.put_chunk(&demo, &loser, 1000, &loser_bytes[1000..]).await,
        p.complete(&demo, &loser).await,
        p.get(&demo, &format!("/api/v1/uploads/{loser}")).await,
    ] {
        let err = refused.err(409, "version_not_higher");
        let message = err["message"].as_str().unwrap();
        assert!(message.contains("was made meanwhile"), "{err}");
        assert!(message.contains("1.0.0"), "{err}");
        assert!(!err.to_string().contains("check the id"), "{err}");
    }
    // Abandoning it (what the client does next) is still fine.
    assert_eq!(
        p.delete(&demo, &format!("/api/v1/uploads/{loser}"))
            .await
            .status,
        204
    );
}

/// A chunk sent to a completed upload is told the upload is complete, not to "send the next
/// chunk at offset N" (issue #20 item 30).
#[tokio::test]
async fn a_chunk_for_a_completed_upload_says_it_is_complete() {
    let p = portal().await;
    let demo = p.login("demo", "demo").await;
    let app = p.app_id(&demo, "Hello MiniApp").await;
    let bytes = big_package(MIB, 9);
    let id = p.open_upload(&demo, &app, "1.0.0", &bytes).await.ok()["id"]
        .as_str()
        .unwrap()
        .to_string();
    p.put_chunk(&demo, &id, 0, &bytes).await.ok();
    p.complete(&demo, &id).await.ok();
    let err = p
        .put_chunk(&demo, &id, bytes.len(), &bytes[..10])
        .await
        .err(409, "offset_mismatch");
    assert_eq!(err["received"], bytes.len(), "nothing left to send");
    assert!(
        err["message"].as_str().unwrap().contains("is complete"),
        "{err}"
    );
    let hint = err["hint"].as_str().unwrap();
    assert!(!hint.contains("send the next chunk"), "{hint}");
    assert!(hint.contains("complete"), "{hint}");
}
