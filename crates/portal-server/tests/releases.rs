//! The release lifecycle over real HTTP: every path of the table, each illegal step's code,
//! the first-release rule, the in-flight rule, rollback, reviews, and who may do what.

mod common;

use common::{portal, Portal};
use serde_json::{json, Value};

struct Ctx {
    p: Portal,
    demo: String,
    admin: String,
    other: String,
    app: String,
    gopay: String,
    staging: String,
}

async fn ctx() -> Ctx {
    let p = portal().await;
    let demo = p.login("demo", "demo").await;
    let admin = p.login("admin", "admin").await;
    let other = p.login("other", "other").await;
    let app = p.app_id(&demo, "Hello MiniApp").await;
    let gopay = p.target_id(&demo, "GoPay").await;
    let staging = p.target_id(&demo, "GoPay Staging").await;
    Ctx {
        p,
        demo,
        admin,
        other,
        app,
        gopay,
        staging,
    }
}

impl Ctx {
    async fn version(&self, number: &str) -> String {
        self.p.upload(&self.demo, &self.app, number).await["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn create(&self, version_id: &str, target: &str) -> Value {
        let resp = self
            .p
            .post(
                &self.demo,
                &format!("/api/v1/apps/{}/releases", self.app),
                json!({"versionId": version_id, "targetAppId": target}),
            )
            .await;
        assert_eq!(resp.status, 201, "{}", resp.json);
        resp.ok()
    }

    async fn step(&self, token: &str, release: &Value, step: &str, body: Value) -> common::Resp {
        let id = release["id"].as_str().unwrap();
        self.p
            .post(token, &format!("/api/v1/releases/{id}/{step}"), body)
            .await
    }

    /// Takes a step that must succeed; returns the release (or LiveChange).
    async fn ok(&self, token: &str, release: &Value, step: &str, body: Value) -> Value {
        self.step(token, release, step, body).await.ok()
    }

    /// A release of a new version to `target`, brought to Pilot test.
    async fn in_pilot(&self, number: &str, target: &str) -> Value {
        let version = self.version(number).await;
        let release = self.create(&version, target).await;
        self.ok(&self.demo, &release, "apply", json!({"notes": "ship it"}))
            .await;
        let approved = self.ok(&self.admin, &release, "approve", json!({})).await;
        assert_eq!(approved["state"], "pilot_test");
        approved
    }

    async fn get(&self, token: &str, release: &Value) -> Value {
        let id = release["id"].as_str().unwrap();
        self.p
            .get(token, &format!("/api/v1/releases/{id}"))
            .await
            .ok()
    }

    async fn rollback(&self, target: &str) -> common::Resp {
        self.p
            .post(
                &self.demo,
                &format!("/api/v1/apps/{}/rollback", self.app),
                json!({"targetAppId": target}),
            )
            .await
    }
}

fn steps(release: &Value) -> Vec<&str> {
    release["allowedSteps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn first_release_goes_straight_to_official() {
    let c = ctx().await;
    let version = c.version("1.0.0").await;
    let release = c.create(&version, &c.staging).await;
    assert_eq!(release["state"], "version_creation");
    assert_eq!(release["firstRelease"], true);
    assert_eq!(release["version"], "1.0.0");
    assert_eq!(release["targetAppName"], "GoPay Staging");
    assert!(release["id"].as_str().unwrap().starts_with("rel_"));
    let publish_id = release["publishId"].as_str().unwrap();
    assert_eq!(publish_id, "5000000000000001");
    assert_eq!(c.app.len(), 16);
    assert_eq!(steps(&release), ["temporary_code", "apply", "cancel"]);

    // The temporary code is the working deeplink.
    let code = c.ok(&c.demo, &release, "temporary-code", json!({})).await;
    assert_eq!(
        code["deeplink"],
        format!(
            "gopaystaging://mini-app/windvane?app_id={}&publish_id={publish_id}",
            c.app
        )
    );
    assert_eq!(code["appId"], c.app.as_str());
    assert_eq!(code["publishId"], publish_id);
    assert!(code["expiresAt"].is_string());
    let code = c
        .ok(
            &c.demo,
            &release,
            "temporary-code",
            json!({"path": "pages/index/index?x=1"}),
        )
        .await;
    assert!(code["deeplink"]
        .as_str()
        .unwrap()
        .ends_with("&mini_app_path=pages%2Findex%2Findex%3Fx%3D1"));

    let applied = c
        .ok(&c.demo, &release, "apply", json!({"notes": "first"}))
        .await;
    assert_eq!(applied["state"], "in_review");
    assert_eq!(applied["notes"], "first");
    assert_eq!(steps(&applied), ["temporary_code", "withdraw"]);

    // Only the target app's admin reviews.
    c.step(&c.demo, &release, "approve", json!({}))
        .await
        .err(403, "forbidden");
    let reviews = c.p.get(&c.admin, "/api/v1/reviews").await.ok();
    assert_eq!(reviews["releases"].as_array().unwrap().len(), 1);
    assert_eq!(reviews["releases"][0]["id"], release["id"]);
    assert_eq!(steps(&reviews["releases"][0]), ["approve", "reject"]);
    let demo_reviews = c.p.get(&c.demo, "/api/v1/reviews").await.ok();
    assert_eq!(demo_reviews["releases"], json!([]));
    assert_eq!(
        steps(&c.get(&c.admin, &release).await),
        ["approve", "reject"]
    );

    let approved = c.ok(&c.admin, &release, "approve", json!({})).await;
    assert_eq!(approved["state"], "pilot_test");
    let pilot = c.get(&c.demo, &release).await;
    assert_eq!(steps(&pilot), ["temporary_code", "official", "cancel"]);

    // Whitelist and grayscale wait for the second release.
    for (step, body) in [
        ("whitelist", json!({"userIds": ["u1"]})),
        ("grayscale", json!({"ratio": 10})),
    ] {
        let err = c
            .step(&c.demo, &release, step, body)
            .await
            .err(409, "first_release_official_only");
        assert_eq!(err["state"], "pilot_test");
        assert_eq!(
            err["allowedSteps"],
            json!(["temporary_code", "official", "cancel"])
        );
        assert!(
            err["message"].as_str().unwrap().contains("Pilot test"),
            "{err}"
        );
        assert!(err["hint"]
            .as_str()
            .unwrap()
            .contains("\"Officially Release\""));
    }

    let live = c.ok(&c.demo, &release, "official", json!({})).await;
    assert_eq!(live["released"]["state"], "released");
    assert!(live.get("archived").is_none(), "{live}");
    assert_eq!(live["released"]["firstRelease"], false);
    assert_eq!(steps(&live["released"]), Vec::<&str>::new());

    // Released: no temporary code any more; nothing to roll back to yet.
    c.step(&c.demo, &release, "temporary-code", json!({}))
        .await
        .err(409, "illegal_step");
    c.rollback(&c.staging)
        .await
        .err(409, "nothing_to_roll_back");

    let audit =
        c.p.get(&c.demo, &format!("/api/v1/apps/{}/audit", c.app))
            .await
            .ok();
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        &actions[..6],
        [
            "release.official",
            "release.approve",
            "release.apply",
            "release.temporary_code",
            "release.temporary_code",
            "release.create"
        ]
    );
    let approve = &audit["entries"][1];
    assert_eq!(approve["actor"], "admin");
    assert_eq!(
        approve["detail"],
        "1.0.0 → GoPay Staging: Submit for Review → Pilot test"
    );
}

#[tokio::test]
async fn later_releases_go_through_whitelist_and_grayscale_and_archive_the_live_one() {
    let c = ctx().await;
    let first = c.in_pilot("1.0.0", &c.gopay).await;
    c.ok(&c.demo, &first, "official", json!({})).await;

    let second = c.in_pilot("1.1.0", &c.gopay).await;
    assert_eq!(second["firstRelease"], false);
    assert_eq!(
        steps(&c.get(&c.demo, &second).await),
        [
            "temporary_code",
            "whitelist",
            "grayscale",
            "official",
            "cancel"
        ]
    );

    let err = c
        .step(&c.demo, &second, "whitelist", json!({"userIds": [" ", ""]}))
        .await
        .err(400, "invalid_request");
    assert_eq!(err["field"], "userIds");
    c.step(&c.demo, &second, "whitelist", json!({}))
        .await
        .err(400, "invalid_request");
    let listed = c
        .ok(
            &c.demo,
            &second,
            "whitelist",
            json!({"userIds": [" u1 ", "u2", "u1", ""]}),
        )
        .await;
    assert_eq!(listed["state"], "whitelist_testing");
    assert_eq!(listed["whitelist"], json!(["u1", "u2"]));
    let replaced = c
        .ok(&c.demo, &second, "whitelist", json!({"userIds": ["u3"]}))
        .await;
    assert_eq!(replaced["whitelist"], json!(["u3"]));

    // The refusal echoes what was sent, never a number made from it (issue #20 item 29:
    // "50" was echoed as -1, 1e308 as 9223372036854775807).
    for (bad, shown) in [
        (json!(0), "not 0"),
        (json!(101), "not 101"),
        (json!(-5), "not -5"),
        (json!(12.5), "12.5 is not"),
        (json!("50"), "\"50\" is not"),
        (json!(1e308), "1e+308 is not"),
    ] {
        let err = c
            .step(&c.demo, &second, "grayscale", json!({"ratio": bad}))
            .await
            .err(400, "invalid_ratio");
        assert_eq!(err["field"], "ratio");
        let message = err["message"].as_str().unwrap();
        assert!(message.contains(shown), "{bad}: {message}");
        assert!(
            !message.contains("-1") && !message.contains("922337"),
            "{message}"
        );
    }
    let long = "7".repeat(5000);
    let err = c
        .step(&c.demo, &second, "grayscale", json!({"ratio": long}))
        .await
        .err(400, "invalid_ratio");
    assert!(err["message"].as_str().unwrap().len() < 200, "cut: {err}");
    let gray = c
        .ok(&c.demo, &second, "grayscale", json!({"ratio": 10}))
        .await;
    assert_eq!(gray["state"], "grayscale");
    assert_eq!(gray["ratio"], 10);
    assert_eq!(steps(&gray), ["grayscale", "official", "cancel"]);
    for same_or_lower in [10, 5] {
        let err = c
            .step(
                &c.demo,
                &second,
                "grayscale",
                json!({"ratio": same_or_lower}),
            )
            .await
            .err(409, "ratio_not_higher");
        assert!(err["message"].as_str().unwrap().contains("10%"), "{err}");
    }
    let raised = c
        .ok(&c.demo, &second, "grayscale", json!({"ratio": 50}))
        .await;
    assert_eq!(raised["ratio"], 50);

    let live = c.ok(&c.demo, &second, "official", json!({})).await;
    assert_eq!(live["released"]["id"], second["id"]);
    assert_eq!(live["released"]["state"], "released");
    assert_eq!(live["archived"]["id"], first["id"]);
    assert_eq!(live["archived"]["state"], "archived");
    assert_eq!(c.get(&c.demo, &first).await["state"], "archived");
    assert_eq!(steps(&live["released"]), ["rollback"]);

    let audit =
        c.p.get(&c.demo, &format!("/api/v1/apps/{}/audit?limit=2", c.app))
            .await
            .ok();
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["action"], "release.official");
    assert_eq!(entries[1]["action"], "release.archive");
}

#[tokio::test]
async fn rollback_brings_back_the_last_archived_version_once() {
    let c = ctx().await;
    let mut ids = Vec::new();
    for number in ["1.0.0", "1.0.1", "1.0.2"] {
        let release = c.in_pilot(number, &c.gopay).await;
        c.ok(&c.demo, &release, "official", json!({})).await;
        ids.push(release["id"].as_str().unwrap().to_string());
    }
    c.rollback(&c.staging)
        .await
        .err(409, "nothing_to_roll_back");
    let err =
        c.p.post(
            &c.demo,
            &format!("/api/v1/apps/{}/rollback", c.app),
            json!({"targetAppId": "ta_nope"}),
        )
        .await
        .err(404, "not_found");
    assert_eq!(err["field"], "targetAppId");

    let back = c.rollback(&c.gopay).await.ok();
    assert_eq!(back["released"]["id"], ids[1].as_str());
    assert_eq!(back["released"]["state"], "released");
    assert_eq!(back["archived"]["id"], ids[2].as_str());
    assert_eq!(back["archived"]["state"], "archived");
    // 1.0.0 is still there to go back to; 1.0.2 (rolled back) is not a candidate again.
    assert_eq!(steps(&back["released"]), ["rollback"]);
    let back = c.rollback(&c.gopay).await.ok();
    assert_eq!(back["released"]["id"], ids[0].as_str());
    assert_eq!(back["released"]["version"], "1.0.0");
    assert_eq!(steps(&back["released"]), Vec::<&str>::new());
    let err = c.rollback(&c.gopay).await.err(409, "nothing_to_roll_back");
    assert!(err["message"].as_str().unwrap().contains("1.0.0"), "{err}");

    // A newer official release archives 1.0.0 normally, so it can be rolled back to.
    let next = c.in_pilot("1.0.3", &c.gopay).await;
    let live = c.ok(&c.demo, &next, "official", json!({})).await;
    assert_eq!(live["archived"]["id"], ids[0].as_str());
    let back = c.rollback(&c.gopay).await.ok();
    assert_eq!(back["released"]["id"], ids[0].as_str());

    let audit =
        c.p.get(&c.demo, &format!("/api/v1/apps/{}/audit?limit=1", c.app))
            .await
            .ok();
    assert_eq!(audit["entries"][0]["action"], "release.rollback");
    assert_eq!(
        audit["entries"][0]["detail"],
        "GoPay: rolled back from 1.0.3 to 1.0.0"
    );
}

#[tokio::test]
async fn illegal_steps_name_the_state_and_what_is_allowed() {
    let c = ctx().await;
    let version = c.version("1.0.0").await;
    let release = c.create(&version, &c.gopay).await;

    // Version Creation
    for (step, body) in [
        ("official", json!({})),
        ("withdraw", json!({})),
        ("approve", json!({})),
        ("reject", json!({"reason": "no"})),
        ("whitelist", json!({"userIds": ["u1"]})),
        ("grayscale", json!({"ratio": 5})),
    ] {
        let err = c
            .step(&c.demo, &release, step, body)
            .await
            .err(409, "illegal_step");
        assert_eq!(err["state"], "version_creation", "{step}");
        assert_eq!(
            err["allowedSteps"],
            json!(["temporary_code", "apply", "cancel"])
        );
        assert!(err["message"]
            .as_str()
            .unwrap()
            .contains("\"Version Creation\""));
        assert_eq!(
            err["hint"],
            "allowed now: \"Show Temporary Code\", \"Apply Release\", \"Cancel Release\""
        );
    }

    // The target-app admin approving a release still being made is told it waits for the
    // developers, never that it is finished (issue #20 item 26).
    let err = c
        .step(&c.admin, &release, "approve", json!({}))
        .await
        .err(409, "illegal_step");
    assert_eq!(err["allowedSteps"], json!([]));
    for words in [&err["message"], &err["hint"]] {
        let words = words.as_str().unwrap();
        assert!(!words.contains("finished"), "{words}");
        assert!(words.contains("the MiniApp's developers"), "{words}");
    }

    // Submit for Review
    c.ok(&c.demo, &release, "apply", json!({})).await;
    for step in ["apply", "cancel", "official"] {
        let err = c
            .step(&c.demo, &release, step, json!({}))
            .await
            .err(409, "illegal_step");
        assert_eq!(err["state"], "in_review");
        assert_eq!(err["allowedSteps"], json!(["temporary_code", "withdraw"]));
    }
    // Rejected, with a reason; then re-apply; then withdraw.
    let err = c
        .step(&c.admin, &release, "reject", json!({"reason": "   "}))
        .await
        .err(400, "invalid_request");
    assert_eq!(err["field"], "reason");
    let err = c
        .step(&c.admin, &release, "reject", json!({}))
        .await
        .err(400, "invalid_request");
    assert_eq!(err["field"], "reason");
    let rejected = c
        .ok(
            &c.admin,
            &release,
            "reject",
            json!({"reason": "icon missing"}),
        )
        .await;
    assert_eq!(rejected["state"], "rejected");
    assert_eq!(rejected["rejectReason"], "icon missing");
    let seen = c.get(&c.demo, &release).await;
    assert_eq!(steps(&seen), ["temporary_code", "apply", "cancel"]);
    for step in ["approve", "withdraw", "official"] {
        let err = c
            .step(&c.demo, &release, step, json!({}))
            .await
            .err(409, "illegal_step");
        assert_eq!(err["state"], "rejected");
    }
    let again = c
        .ok(&c.demo, &release, "apply", json!({"notes": "fixed"}))
        .await;
    assert_eq!(again["state"], "in_review");
    assert!(again.get("rejectReason").is_none());
    let withdrawn = c.ok(&c.demo, &release, "withdraw", json!({})).await;
    assert_eq!(withdrawn["state"], "version_creation");

    // Cancelled: finished.
    let cancelled = c.ok(&c.demo, &release, "cancel", json!({})).await;
    assert_eq!(cancelled["state"], "cancelled");
    assert_eq!(steps(&cancelled), Vec::<&str>::new());
    for step in ["apply", "cancel", "temporary-code"] {
        let err = c
            .step(&c.demo, &release, step, json!({}))
            .await
            .err(409, "illegal_step");
        assert_eq!(err["state"], "cancelled");
        assert_eq!(err["allowedSteps"], json!([]));
        assert!(err["hint"].as_str().unwrap().contains("finished"), "{err}");
    }

    // Released: only rollback (through the app's rollback route).
    let live = c.in_pilot("1.0.1", &c.gopay).await;
    c.ok(&c.demo, &live, "official", json!({})).await;
    for step in ["cancel", "official", "apply"] {
        let err = c
            .step(&c.demo, &live, step, json!({}))
            .await
            .err(409, "illegal_step");
        assert_eq!(err["state"], "released");
    }

    // Pilot test (later release) cannot be applied or approved again.
    let pilot = c.in_pilot("1.0.2", &c.gopay).await;
    c.step(&c.demo, &pilot, "apply", json!({}))
        .await
        .err(409, "illegal_step");
    c.step(&c.admin, &pilot, "approve", json!({}))
        .await
        .err(409, "illegal_step");
    c.ok(&c.demo, &pilot, "cancel", json!({})).await;
}

#[tokio::test]
async fn one_release_in_flight_per_miniapp_and_target_app() {
    let c = ctx().await;
    let v1 = c.version("1.0.0").await;
    let v2 = c.version("1.0.1").await;
    let r1 = c.create(&v1, &c.gopay).await;
    let r2 = c.create(&v2, &c.gopay).await;
    let r2_staging = c.create(&v2, &c.staging).await;
    c.ok(&c.demo, &r1, "apply", json!({})).await;

    let err = c
        .step(&c.demo, &r2, "apply", json!({}))
        .await
        .err(409, "release_in_flight");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains("1.0.0") && message.contains("Submit for Review"),
        "{message}"
    );
    // Another target app is another lane.
    c.ok(&c.demo, &r2_staging, "apply", json!({})).await;

    // Still in flight in pilot test.
    c.ok(&c.admin, &r1, "approve", json!({})).await;
    let err = c
        .step(&c.demo, &r2, "apply", json!({}))
        .await
        .err(409, "release_in_flight");
    assert!(err["message"].as_str().unwrap().contains("Pilot test"));

    // Once it is released, the next one may go.
    c.ok(&c.demo, &r1, "official", json!({})).await;
    let applied = c.ok(&c.demo, &r2, "apply", json!({})).await;
    assert_eq!(applied["state"], "in_review");

    // A version has one live release per target app.
    let err =
        c.p.post(
            &c.demo,
            &format!("/api/v1/apps/{}/releases", c.app),
            json!({"versionId": v2, "targetAppId": c.gopay}),
        )
        .await
        .err(409, "release_exists");
    assert!(err["message"].as_str().unwrap().contains("1.0.1"));
    c.p.post(
        &c.demo,
        &format!("/api/v1/apps/{}/releases", c.app),
        json!({"versionId": v1, "targetAppId": c.gopay}),
    )
    .await
    .err(409, "release_exists");

    let list =
        c.p.get(&c.demo, &format!("/api/v1/apps/{}/releases", c.app))
            .await
            .ok();
    assert_eq!(list["releases"].as_array().unwrap().len(), 3);
    let list =
        c.p.get(
            &c.demo,
            &format!("/api/v1/apps/{}/releases?targetAppId={}", c.app, c.staging),
        )
        .await
        .ok();
    assert_eq!(list["releases"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn cancelled_releases_can_be_released_again() {
    let c = ctx().await;
    let v1 = c.version("1.0.0").await;
    let r1 = c.create(&v1, &c.gopay).await;
    c.ok(&c.demo, &r1, "cancel", json!({})).await;
    let again = c.create(&v1, &c.gopay).await;
    assert_ne!(again["id"], r1["id"]);
    assert_ne!(again["publishId"], r1["publishId"]);
    let err =
        c.p.post(
            &c.demo,
            &format!("/api/v1/apps/{}/releases", c.app),
            json!({"versionId": "ver_nope", "targetAppId": c.gopay}),
        )
        .await
        .err(404, "not_found");
    assert_eq!(err["field"], "versionId");
    c.p.post(
        &c.demo,
        &format!("/api/v1/apps/{}/releases", c.app),
        json!({"versionId": v1}),
    )
    .await
    .err(400, "invalid_request");
}

#[tokio::test]
async fn admins_review_and_nobody_else_sees_other_spaces() {
    let c = ctx().await;
    let version = c.version("1.0.0").await;
    let release = c.create(&version, &c.gopay).await;
    let id = release["id"].as_str().unwrap();

    // The admin is not a developer of Demo Space: sees the release, not the app.
    assert_eq!(steps(&c.get(&c.admin, &release).await), Vec::<&str>::new());
    c.step(&c.admin, &release, "apply", json!({}))
        .await
        .err(403, "forbidden");
    c.p.get(&c.admin, &format!("/api/v1/apps/{}", c.app))
        .await
        .err(404, "not_found");
    c.ok(&c.demo, &release, "apply", json!({})).await;
    c.step(&c.admin, &release, "withdraw", json!({}))
        .await
        .err(403, "forbidden");

    // Another developer gets 404 for everything of Demo Space.
    let (demo_space, _) = c.p.first_space(&c.demo).await;
    let (other_space, other_apps) = c.p.first_space(&c.other).await;
    assert_ne!(demo_space, other_space);
    assert_eq!(other_apps.len(), 1);
    assert_eq!(other_apps[0].0, "Other App");
    let spaces = c.p.get(&c.other, "/api/v1/spaces").await.ok();
    assert_eq!(
        spaces["spaces"],
        json!([{"id": other_space, "name": "Other Space"}])
    );
    for path in [
        format!("/api/v1/spaces/{demo_space}/apps"),
        format!("/api/v1/apps/{}", c.app),
        format!("/api/v1/apps/{}/versions", c.app),
        format!("/api/v1/apps/{}/versions/latest", c.app),
        format!("/api/v1/apps/{}/releases", c.app),
        format!("/api/v1/apps/{}/audit", c.app),
        format!("/api/v1/releases/{id}"),
    ] {
        c.p.get(&c.other, &path).await.err(404, "not_found");
    }
    for (step, body) in [
        ("approve", json!({})),
        ("reject", json!({"reason": "x"})),
        ("withdraw", json!({})),
        ("temporary-code", json!({})),
    ] {
        c.step(&c.other, &release, step, body)
            .await
            .err(404, "not_found");
    }
    c.p.post(
        &c.other,
        &format!("/api/v1/apps/{}/releases", c.app),
        json!({"versionId": version, "targetAppId": c.gopay}),
    )
    .await
    .err(404, "not_found");
    c.p.post(
        &c.other,
        &format!("/api/v1/apps/{}/rollback", c.app),
        json!({"targetAppId": c.gopay}),
    )
    .await
    .err(404, "not_found");
    // The other developer is no admin either.
    let reviews = c.p.get(&c.other, "/api/v1/reviews").await.ok();
    assert_eq!(reviews["releases"], json!([]));

    // The admin's review queue, and ?state=.
    let queue = c.p.get(&c.admin, "/api/v1/reviews").await.ok();
    assert_eq!(queue["releases"][0]["id"], id);
    c.ok(&c.admin, &release, "approve", json!({})).await;
    let queue = c.p.get(&c.admin, "/api/v1/reviews").await.ok();
    assert_eq!(queue["releases"], json!([]));
    let all = c.p.get(&c.admin, "/api/v1/reviews?state=all").await.ok();
    assert_eq!(all["releases"][0]["state"], "pilot_test");
    let pilot =
        c.p.get(&c.admin, "/api/v1/reviews?state=pilot_test")
            .await
            .ok();
    assert_eq!(pilot["releases"].as_array().unwrap().len(), 1);
    c.p.get(&c.admin, "/api/v1/reviews?state=bogus")
        .await
        .err(400, "invalid_request");
}

/// A ratio the server refuses gets the very error the client's own check gives
/// (`lifecycle::check_ratio` mapped by `PortalError::from`): same status, code, message,
/// hint, field and state, so a refusal reads the same whichever side makes it.
#[tokio::test]
async fn a_refused_ratio_is_the_same_error_on_the_server_and_in_the_client() {
    use gopay_miniapp_portal::lifecycle::check_ratio;
    use gopay_miniapp_portal::PortalError;

    let c = ctx().await;
    let first = c.in_pilot("1.0.0", &c.gopay).await;
    c.ok(&c.demo, &first, "official", json!({})).await;
    let second = c.in_pilot("1.1.0", &c.gopay).await;
    c.ok(&c.demo, &second, "grayscale", json!({"ratio": 10}))
        .await;

    for (current, ratio) in [
        (None, 0),
        (None, 101),
        (Some(10), 0),
        (Some(10), 101),
        (Some(10), 5),
    ] {
        let client = PortalError::from(check_ratio(current, ratio).unwrap_err());
        assert!(
            matches!(client, PortalError::BadRatio { .. }),
            "the client's mapping of a ratio refusal: {client:?}"
        );
        let server = c
            .step(&c.demo, &second, "grayscale", json!({"ratio": ratio}))
            .await;
        let refused = &server.json["error"];
        assert_eq!(
            (refused["code"].as_str(), refused["message"].as_str()),
            (Some(client.code()), Some(client.to_string().as_str())),
            "ratio {ratio} (current {current:?})"
        );
        // And the client maps the server's answer back to the same typed error.
        let wire: gopay_miniapp_portal::native::wire::ErrorBody =
            serde_json::from_value(refused.clone()).unwrap();
        let back = gopay_miniapp_portal::native::client::from_wire(server.status.as_u16(), wire);
        assert_eq!(back.code(), client.code(), "ratio {ratio}");
    }
    // The codes themselves, as the docs promise them.
    for (ratio, code) in [
        (0, "invalid_ratio"),
        (101, "invalid_ratio"),
        (5, "ratio_not_higher"),
    ] {
        let client = PortalError::from(check_ratio(Some(10), ratio).unwrap_err());
        assert_eq!(client.code(), code, "ratio {ratio}");
    }
}
