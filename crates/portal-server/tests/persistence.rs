//! The portal survives a restart on the same data directory with everything in it, and
//! seeding again does not duplicate anything.

mod common;

use common::{package, Portal};
use gopay_miniapp_portal_server::{seed_demo, start, Store};
use serde_json::json;

#[tokio::test]
async fn a_restart_keeps_everything_and_seeding_twice_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(common::config(dir.path())).await.unwrap();
    let url = running.url.clone();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let mut p = Portal {
        url: url.clone(),
        running: Some(running),
        dir,
        http: reqwest::Client::new(),
    };
    let pair = p.login_pair("demo", "demo").await;
    let access = pair["accessToken"].as_str().unwrap().to_string();
    let refresh = pair["refreshToken"].as_str().unwrap().to_string();
    let pat = p
        .post(&access, "/api/v1/tokens", json!({"name": "ci"}))
        .await
        .ok()["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let app = p.app_id(&access, "Hello MiniApp").await;
    let target = p.target_id(&access, "GoPay").await;
    let version = p.upload(&access, &app, "1.2.3").await;
    let release = p
        .post(
            &access,
            &format!("/api/v1/apps/{app}/releases"),
            json!({"versionId": version["id"], "targetAppId": target}),
        )
        .await
        .ok();
    p.post(
        &access,
        &format!("/api/v1/releases/{}/apply", release["id"].as_str().unwrap()),
        json!({"notes": "before restart"}),
    )
    .await
    .ok();
    // An upload half done.
    let bytes = package("half");
    let upload = p.open_upload(&access, &app, "1.3.0", &bytes).await.ok();
    let upload_id = upload["id"].as_str().unwrap().to_string();
    p.put_chunk(&access, &upload_id, 0, &bytes[..100])
        .await
        .ok();

    p.shutdown().await;
    // Down means down.
    assert!(p
        .http
        .get(format!("{url}/api/v1/health"))
        .send()
        .await
        .is_err());

    // Seeding the same directory again (as `--seed-demo` on every start does) adds nothing.
    {
        let store = Store::open(p.dir.path()).unwrap();
        seed_demo(&store).unwrap();
        seed_demo(&store).unwrap();
    }
    let running = start(common::config(p.dir.path())).await.unwrap();
    p.url = running.url.clone();
    p.running = Some(running);

    // Sessions, tokens, spaces, versions, releases and uploads are all still there.
    p.get(&access, "/api/v1/me").await.ok();
    p.get(&pat, "/api/v1/me").await.ok();
    let again = p
        .send(
            reqwest::Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refreshToken": refresh})),
        )
        .await
        .ok();
    assert!(again["accessToken"].is_string());

    let spaces = p.get(&access, "/api/v1/spaces").await.ok();
    assert_eq!(spaces["spaces"].as_array().unwrap().len(), 1);
    let (_, apps) = p.first_space(&access).await;
    assert_eq!(apps.len(), 2);
    let targets = p.get(&access, "/api/v1/target-apps").await.ok();
    assert_eq!(targets["targetApps"].as_array().unwrap().len(), 2);
    let other = p.login("other", "other").await;
    assert_eq!(p.first_space(&other).await.1.len(), 1);
    let admin = p.login_pair("admin", "admin").await;
    assert_eq!(admin["user"]["adminOf"].as_array().unwrap().len(), 2);
    let db = rusqlite::Connection::open(p.dir.path().join("portal.sqlite3")).unwrap();
    let users: i64 = db
        .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(users, 3);

    let latest = p
        .get(&access, &format!("/api/v1/apps/{app}/versions/latest"))
        .await
        .ok();
    assert_eq!(latest["id"], version["id"]);
    let sha = latest["sha256"].as_str().unwrap();
    assert!(p
        .dir
        .path()
        .join("packages")
        .join(&sha[..2])
        .join(format!("{sha}.zip"))
        .exists());
    let got = p
        .get(
            &access,
            &format!("/api/v1/releases/{}", release["id"].as_str().unwrap()),
        )
        .await
        .ok();
    assert_eq!(got["state"], "in_review");
    assert_eq!(got["notes"], "before restart");

    // The half-done upload resumes where it stopped.
    let resumed = p.open_upload(&access, &app, "1.3.0", &bytes).await.ok();
    assert_eq!(resumed["id"], upload_id.as_str());
    assert_eq!(resumed["received"], 100);
    p.put_chunk(&access, &upload_id, 100, &bytes[100..])
        .await
        .ok();
    let v = p.complete(&access, &upload_id).await.ok();
    assert_eq!(v["version"], "1.3.0");

    // New ids keep counting up after a restart.
    let second = p
        .post(
            &access,
            &format!("/api/v1/apps/{app}/releases"),
            json!({"versionId": v["id"], "targetAppId": target}),
        )
        .await
        .ok();
    assert_eq!(second["publishId"], "5000000000000002");

    let audit = p
        .get(&access, &format!("/api/v1/apps/{app}/audit"))
        .await
        .ok();
    assert!(audit["entries"].as_array().unwrap().len() >= 6);
    p.shutdown().await;
}

#[tokio::test]
async fn uploads_idle_for_a_week_are_abandoned_at_start_and_their_bytes_freed() {
    let mut p = common::portal().await;
    let access = p.login("demo", "demo").await;
    let app = p.app_id(&access, "Hello MiniApp").await;
    let bytes = package("stale");
    let fresh_bytes = package("fresh");
    let stale = p.open_upload(&access, &app, "2.0.0", &bytes).await.ok();
    let fresh = p
        .open_upload(&access, &app, "2.0.1", &fresh_bytes)
        .await
        .ok();
    let stale_id = stale["id"].as_str().unwrap().to_string();
    let fresh_id = fresh["id"].as_str().unwrap().to_string();
    p.put_chunk(&access, &stale_id, 0, &bytes[..100]).await.ok();
    p.put_chunk(&access, &fresh_id, 0, &fresh_bytes[..100])
        .await
        .ok();
    p.shutdown().await;

    let part = |id: &str| p.dir.path().join("uploads").join(format!("{id}.part"));
    assert!(part(&stale_id).exists());
    // Eight days pass for one of them.
    {
        let db = rusqlite::Connection::open(p.dir.path().join("portal.sqlite3")).unwrap();
        db.execute(
            "UPDATE uploads SET updated_at = '2000-01-01T00:00:00.000Z' WHERE id = ?1",
            [&stale_id],
        )
        .unwrap();
    }
    let running = start(common::config(p.dir.path())).await.unwrap();
    p.url = running.url.clone();
    p.running = Some(running);

    assert!(
        !part(&stale_id).exists(),
        "the stale upload's bytes are freed"
    );
    assert!(
        part(&fresh_id).exists(),
        "a recent upload is kept for resuming"
    );
    let access = p.login("demo", "demo").await;
    let resumed = p
        .get(&access, &format!("/api/v1/uploads/{fresh_id}"))
        .await
        .ok();
    assert_eq!(resumed["received"], 100);
    let gone = p.get(&access, &format!("/api/v1/uploads/{stale_id}")).await;
    assert_ne!(gone.code(), "", "the stale upload answers with an error");
    assert_ne!(gone.status, reqwest::StatusCode::OK);
}

/// A portal killed after marking an upload aborted but before deleting its bytes: the part
/// file is deleted on the next start; an open upload's part file stays, resumable.
#[tokio::test]
async fn bytes_of_uploads_no_longer_open_are_freed_at_start() {
    let mut p = common::portal().await;
    let access = p.login("demo", "demo").await;
    let app = p.app_id(&access, "Hello MiniApp").await;
    let (dead_bytes, open_bytes) = (package("dead"), package("open"));
    let dead = p
        .open_upload(&access, &app, "3.0.0", &dead_bytes)
        .await
        .ok();
    let open = p
        .open_upload(&access, &app, "3.0.1", &open_bytes)
        .await
        .ok();
    let dead_id = dead["id"].as_str().unwrap().to_string();
    let open_id = open["id"].as_str().unwrap().to_string();
    p.put_chunk(&access, &dead_id, 0, &dead_bytes[..100])
        .await
        .ok();
    p.put_chunk(&access, &open_id, 0, &open_bytes[..100])
        .await
        .ok();
    p.shutdown().await;
    {
        let db = rusqlite::Connection::open(p.dir.path().join("portal.sqlite3")).unwrap();
        db.execute(
            "UPDATE uploads SET state = 'aborted' WHERE id = ?1",
            [&dead_id],
        )
        .unwrap();
    }
    let part = |id: &str| p.dir.path().join("uploads").join(format!("{id}.part"));
    assert!(part(&dead_id).exists());
    let running = start(common::config(p.dir.path())).await.unwrap();
    p.url = running.url.clone();
    p.running = Some(running);
    assert!(
        !part(&dead_id).exists(),
        "an aborted upload's bytes are freed"
    );
    assert!(part(&open_id).exists(), "an open upload stays resumable");
    p.shutdown().await;
}
