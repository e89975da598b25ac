//! Auth over real HTTP: login, expiry, refresh rotation, logout, personal access tokens, and
//! the error envelope of the unauthenticated, unknown and malformed.

mod common;

use std::time::Duration;

use common::{portal, portal_on_test_clock};
use gopay_miniapp_portal::native::routes;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn health_needs_no_token() {
    let p = portal().await;
    let health = p.send(Method::GET, "/api/v1/health", None, None).await.ok();
    assert_eq!(health["status"], "ok");
    assert_eq!(
        health["contractVersion"],
        gopay_miniapp_portal::CONTRACT_VERSION
    );
}

#[tokio::test]
async fn every_authenticated_route_refuses_a_missing_token() {
    let p = portal().await;
    for route in routes::ALL.iter().filter(|r| r.authenticated) {
        let placeholders = route.path.matches('{').count();
        let args: Vec<&str> = vec!["0"; placeholders];
        let path = route.fill(&args);
        let method = Method::from_bytes(route.method.as_bytes()).unwrap();
        let resp = p.send(method, &path, None, Some(json!({}))).await;
        let err = resp.err(401, "unauthenticated");
        assert!(err["message"].as_str().unwrap().contains("token"), "{err}");
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_user_are_the_same_refusal() {
    let p = portal().await;
    for (user, pass) in [("demo", "wrong"), ("nobody", "demo")] {
        let resp = p
            .send(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": user, "password": pass})),
            )
            .await;
        let err = resp.err(401, "invalid_credentials");
        assert_eq!(err["message"], "wrong username or password");
    }
}

#[tokio::test]
async fn login_returns_a_token_pair_and_me_works() {
    let p = portal().await;
    let pair = p.login_pair("demo", "demo").await;
    let access = pair["accessToken"].as_str().unwrap();
    let refresh = pair["refreshToken"].as_str().unwrap();
    assert!(
        access.starts_with("gpm_at_") && access.len() >= 7 + 43,
        "{access}"
    );
    assert!(refresh.starts_with("gpm_rt_"), "{refresh}");
    assert_eq!(pair["tokenType"], "Bearer");
    assert_eq!(pair["expiresIn"], 3600);
    assert_eq!(pair["user"]["username"], "demo");
    assert_eq!(pair["user"]["displayName"], "Demo Developer");
    let me = p.get(access, "/api/v1/me").await.ok();
    assert_eq!(me["username"], "demo");
    assert_eq!(me["adminOf"], json!([]));

    let admin = p.login_pair("admin", "admin").await;
    assert_eq!(admin["user"]["adminOf"].as_array().unwrap().len(), 2);

    // A refresh token is not an access token.
    p.get(refresh, "/api/v1/me")
        .await
        .err(401, "unauthenticated");
    // Garbage and the wrong scheme.
    p.get("gpm_at_nonsense", "/api/v1/me")
        .await
        .err(401, "token_revoked");
    let resp = p
        .http
        .get(p.url("/api/v1/me"))
        .header("Authorization", format!("Basic {access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn expired_access_token_says_token_expired_and_refresh_rotates() {
    let (p, clock) = portal_on_test_clock().await;
    let pair = p.login_pair("demo", "demo").await;
    let access = pair["accessToken"].as_str().unwrap().to_string();
    let refresh = pair["refreshToken"].as_str().unwrap().to_string();
    let lifetime = Duration::from_secs(pair["expiresIn"].as_u64().unwrap());
    p.get(&access, "/api/v1/me").await.ok();

    // A minute before the end of its lifetime it still works; at the end it has expired.
    clock.advance(lifetime - Duration::from_secs(60)).unwrap();
    p.get(&access, "/api/v1/me").await.ok();
    clock.advance(Duration::from_secs(60)).unwrap();
    let resp = p.get(&access, "/api/v1/me").await;
    assert_eq!(
        resp.headers["www-authenticate"],
        "Bearer error=\"token_expired\""
    );
    resp.err(401, "token_expired");

    let new_pair = p
        .send(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refreshToken": refresh})),
        )
        .await
        .ok();
    let new_access = new_pair["accessToken"].as_str().unwrap().to_string();
    let new_refresh = new_pair["refreshToken"].as_str().unwrap().to_string();
    assert_ne!(new_access, access);
    assert_ne!(new_refresh, refresh);
    p.get(&new_access, "/api/v1/me").await.ok();

    // The old refresh token is spent.
    p.send(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refreshToken": refresh})),
    )
    .await
    .err(401, "token_revoked");
    // The new one works (once).
    p.send(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refreshToken": new_refresh})),
    )
    .await
    .ok();
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let p = portal().await;
    let pair = p.login_pair("demo", "demo").await;
    let access = pair["accessToken"].as_str().unwrap();
    let refresh = pair["refreshToken"].as_str().unwrap();
    let other_session = p.login("demo", "demo").await;

    let resp = p
        .send(Method::POST, "/api/v1/auth/logout", Some(access), None)
        .await;
    assert_eq!(resp.status, 204);
    p.get(access, "/api/v1/me").await.err(401, "token_revoked");
    p.send(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refreshToken": refresh})),
    )
    .await
    .err(401, "token_revoked");
    // Other sessions live on.
    p.get(&other_session, "/api/v1/me").await.ok();
}

#[tokio::test]
async fn personal_access_tokens() {
    let p = portal().await;
    let demo = p.login("demo", "demo").await;
    let other = p.login("other", "other").await;

    p.post(&demo, "/api/v1/tokens", json!({"name": "  "}))
        .await
        .err(400, "invalid_request");
    p.post(
        &demo,
        "/api/v1/tokens",
        json!({"name": "ci", "expiresInDays": 0}),
    )
    .await
    .err(400, "invalid_request");

    let created = p
        .post(
            &demo,
            "/api/v1/tokens",
            json!({"name": "ci-main", "expiresInDays": 30}),
        )
        .await;
    assert_eq!(created.status, 201);
    let created = created.ok();
    let secret = created["secret"].as_str().unwrap().to_string();
    let id = created["id"].as_str().unwrap().to_string();
    assert!(secret.starts_with("gpm_pat_"), "{secret}");
    assert!(created["expiresAt"].is_string());
    assert!(created.get("lastUsedAt").is_none());

    // Listed without the secret, only to its owner.
    let list = p.get(&demo, "/api/v1/tokens").await.ok();
    let tokens = list["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0]["name"], "ci-main");
    assert!(tokens[0].get("secret").is_none());
    assert!(!list.to_string().contains(&secret));
    let others = p.get(&other, "/api/v1/tokens").await.ok();
    assert_eq!(others["tokens"], json!([]));

    // It works as a Bearer, and its use is recorded.
    let me = p.get(&secret, "/api/v1/me").await.ok();
    assert_eq!(me["username"], "demo");
    let list = p.get(&demo, "/api/v1/tokens").await.ok();
    assert!(list["tokens"][0]["lastUsedAt"].is_string(), "{list}");
    let spaces = p.get(&secret, "/api/v1/spaces").await.ok();
    assert_eq!(spaces["spaces"][0]["name"], "Demo Space");

    // It cannot mint further tokens.
    p.post(&secret, "/api/v1/tokens", json!({"name": "more"}))
        .await
        .err(403, "forbidden");

    // Only the owner revokes.
    p.delete(&other, &format!("/api/v1/tokens/{id}"))
        .await
        .err(404, "not_found");
    p.get(&secret, "/api/v1/me").await.ok();
    let resp = p.delete(&demo, &format!("/api/v1/tokens/{id}")).await;
    assert_eq!(resp.status, 204);
    p.get(&secret, "/api/v1/me").await.err(401, "token_revoked");
    let list = p.get(&demo, "/api/v1/tokens").await.ok();
    assert_eq!(list["tokens"], json!([]));
    p.delete(&demo, &format!("/api/v1/tokens/{id}"))
        .await
        .err(404, "not_found");
}

#[tokio::test]
async fn logout_with_a_personal_token_revokes_only_that_token() {
    let p = portal().await;
    let demo = p.login("demo", "demo").await;
    let secret = p
        .post(&demo, "/api/v1/tokens", json!({"name": "ci"}))
        .await
        .ok()["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = p
        .send(Method::POST, "/api/v1/auth/logout", Some(&secret), None)
        .await;
    assert_eq!(resp.status, 204);
    p.get(&secret, "/api/v1/me").await.err(401, "token_revoked");
    p.get(&demo, "/api/v1/me").await.ok();
}

#[tokio::test]
async fn errors_are_json_envelopes() {
    let p = portal().await;
    let demo = p.login("demo", "demo").await;

    let resp = p.get(&demo, "/api/v1/nope").await;
    resp.err(404, "not_found");
    let resp = p.send(Method::GET, "/nothing/here", None, None).await;
    resp.err(404, "not_found");
    let resp = p
        .send(Method::PATCH, "/api/v1/spaces", Some(&demo), None)
        .await;
    assert_eq!(resp.status, 405);
    assert_eq!(resp.code(), "invalid_request");

    // A path segment that is not UTF-8 is refused in the same envelope.
    let resp = p.get(&demo, "/api/v1/apps/%FF").await;
    resp.err(400, "invalid_request");

    // Malformed JSON and missing fields name the problem.
    let resp = p
        .http
        .post(p.url("/api/v1/auth/login"))
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_request");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));

    let err = p
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "demo"})),
        )
        .await
        .err(400, "invalid_request");
    assert_eq!(err["field"], "password");

    let err = p
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": 5, "password": "x"})),
        )
        .await
        .err(400, "invalid_request");
    assert_eq!(err["field"], "username");
}

#[tokio::test]
async fn a_personal_access_token_expires_after_its_days() {
    let (p, clock) = portal_on_test_clock().await;
    let demo = p.login("demo", "demo").await;
    let created = p
        .post(
            &demo,
            "/api/v1/tokens",
            json!({"name": "ci-nightly", "expiresInDays": 1}),
        )
        .await
        .ok();
    let secret = created["secret"].as_str().unwrap();
    clock.advance(Duration::from_secs(86_400 - 60)).unwrap();
    p.get(secret, "/api/v1/me").await.ok();
    clock.advance(Duration::from_secs(60)).unwrap();
    let error = p.get(secret, "/api/v1/me").await.err(401, "token_expired");
    let expires_at = created["expiresAt"].as_str().unwrap();
    assert!(
        error["message"].as_str().unwrap().contains(expires_at),
        "{error}"
    );
    assert_eq!(error["hint"], "create a new access token");
}

/// Issue #20 item 4: names are stored only as plain visible text (guard::text::check_name),
/// so no reader of a token, user, space, MiniApp or target app name meets an escape sequence.
#[tokio::test]
async fn names_with_control_or_bidi_characters_are_refused() {
    let p = portal().await;
    let demo = p.login("demo", "demo").await;
    for name in ["ci\u{1b}]0;pwned\u{7}", "ci\nmain", "ci\u{202e}niam"] {
        let refused = p
            .post(&demo, "/api/v1/tokens", json!({ "name": name }))
            .await
            .err(400, "invalid_request");
        let message = refused["message"].as_str().unwrap();
        assert!(
            message.contains("control or invisible character"),
            "{message}"
        );
        assert!(!message.contains('\u{1b}'), "{message}");
    }
    let list = p.get(&demo, "/api/v1/tokens").await.ok();
    assert_eq!(list["tokens"], json!([]));

    let dir = tempfile::tempdir().unwrap();
    let store = gopay_miniapp_portal_server::Store::open(dir.path()).unwrap();
    let err = store
        .ensure_space("Space\u{1b}[2J")
        .unwrap_err()
        .to_string();
    assert!(err.contains("space name \"Space\\x1b[2J\""), "{err}");
    let space = store.ensure_space("Space").unwrap();
    assert!(store.ensure_app(&space, "App\u{9b}31m").is_err());
    assert!(store
        .ensure_target_app("Target\u{2066}", "gopay", None)
        .is_err());
    assert!(store.ensure_user("u\u{7}", "U", "pw").is_err());
}
