//! Every refusal of the learner, of a recipe read from disk and of an answer: each names what
//! was seen, never a guess, and never a planted secret.

mod common;

use common::*;
use gopay_miniapp_recipes::format::{Input, Node, Slot};
use gopay_miniapp_recipes::learn::Field;
use gopay_miniapp_recipes::{
    check_answer, learn_step, AnswerError, Feature, Literals, Options, Recipe, RecipeError, Refusal,
};
use serde_json::json;
use url::Url;

fn ok() -> serde_json::Value {
    json!({"success": true, "data": null})
}

/// A recording of one POST to variant A's portal, answered with success.
fn posted(path: &str, body: serde_json::Value) -> Har {
    let mut har = Har::new();
    har.add(Variant::A, "POST", path, Some(body), ok());
    har
}

fn learn_a(har: &Har, options: &Options) -> Result<gopay_miniapp_recipes::Learned, Refusal> {
    learn_from(
        Feature::Whitelist,
        har,
        Variant::A,
        &recorded_values(),
        options,
    )
}

fn refused(har: &Har, options: &Options) -> Refusal {
    let refusal = learn_a(har, options).unwrap_err();
    assert_no_canary("the refusal", &refusal.to_string());
    assert_no_canary("Debug of the refusal", &format!("{refusal:?}"));
    refusal
}

#[test]
fn a_har_from_another_origin_is_refused_naming_it() {
    let har = step_har(Variant::B, Feature::Whitelist, &recorded_values(), "BETA");
    let refusal = refused(&har, &yes());
    assert!(
        matches!(&refusal, Refusal::ForeignOrigin { seen, .. } if seen.iter().any(|s| s == "https://console.example.test")),
        "{refusal:?}"
    );
    assert!(
        refusal.to_string().contains("http://127.0.0.1:8780"),
        "{refusal}"
    );
}

#[test]
fn nothing_matched_is_refused_and_says_when_the_matching_ones_failed() {
    // Only reads, and a change that carries none of the inputs.
    let mut har = Har::new();
    har.noise(Variant::A)
        .add(
            Variant::A,
            "GET",
            "/rest/release/list?appId=A100",
            None,
            ok(),
        )
        .add(
            Variant::A,
            "POST",
            "/rest/user/preferences",
            Some(json!({"theme": "dark"})),
            ok(),
        );
    let refusal = refused(&har, &yes());
    assert!(
        matches!(
            refusal,
            Refusal::NothingMatched {
                seen: 3,
                failed: 0,
                ..
            }
        ),
        "{refusal:?}"
    );

    // The step was tried but the portal refused it: nothing to learn from a failure.
    let mut har = Har::new();
    har.add(
        Variant::A,
        "POST",
        "/rest/release/whitelist/save",
        Some(json!({"appId": "A100", "userIds": ["1001", "1002"]})),
        json!({"success": false, "errorCode": "ILLEGAL_STEP", "errorMsg": "not now"}),
    );
    let refusal = refused(&har, &yes());
    assert!(
        matches!(refusal, Refusal::NothingMatched { failed: 1, .. }),
        "{refusal:?}"
    );
    assert!(
        refusal.to_string().contains("1 matching ones failed"),
        "{refusal}"
    );
}

#[test]
fn two_indistinguishable_candidates_are_refused() {
    let mut har = Har::new();
    for kind in ["A", "B"] {
        har.add(
            Variant::A,
            "POST",
            "/rest/release/whitelist/save",
            Some(json!({"appId": "A100", "userIds": ["1001", "1002"], "kind": kind})),
            ok(),
        );
    }
    let refusal = refused(&har, &yes());
    assert_eq!(
        refusal,
        Refusal::Indistinguishable {
            first: "POST /rest/release/whitelist/save".into(),
            second: "POST /rest/release/whitelist/save".into()
        }
    );

    // Lists: two endpoints whose answers both hold the expected id.
    let mut har = Har::new();
    har.add(
        Variant::A,
        "GET",
        "/rest/space/list",
        None,
        json!({"data": [{"id": "S7", "name": "Team"}]}),
    )
    .add(
        Variant::A,
        "GET",
        "/rest/space/recent",
        None,
        json!({"data": [{"id": "S7", "name": "Team"}]}),
    );
    let refusal = learn_spaces(&har.recorded(), Variant::A, "S7", None).unwrap_err();
    assert!(
        matches!(refusal, Refusal::Indistinguishable { .. }),
        "{refusal:?}"
    );
    assert!(
        refusal.to_string().contains("/rest/space/recent"),
        "{refusal}"
    );
}

#[test]
fn a_value_equal_to_two_knowns_is_refused_unless_the_user_says_which() {
    // The ratio equals the version's id: which one the `10` is, nothing tells.
    let mut values = recorded_values();
    values.version_id = Some("10".into());
    let har = posted(
        "/rest/release/gray/start",
        json!({"releaseId": "R555", "grayRatio": 10}),
    );
    let learn =
        |options: &Options| learn_from(Feature::Grayscale, &har, Variant::A, &values, options);
    let refusal = learn(&yes()).unwrap_err();
    assert_eq!(
        refusal,
        Refusal::TwoKnowns {
            field: "body.grayRatio".into(),
            inputs: vec!["ratio".into(), "version_id".into()]
        }
    );
    let mut told = yes();
    told.choices
        .push(("body.grayRatio".into(), Some(Input::Ratio)));
    let recipe = learn(&told).unwrap().recipe;
    let Some(Node::Object(body)) = &recipe.requests[0].body else {
        panic!()
    };
    assert!(matches!(
        body["grayRatio"],
        Node::Value(Slot::Input {
            input: Input::Ratio,
            ..
        })
    ));

    // Typed and whole: "10" in a string field is the ratio as a string, and 100 is no ratio.
    let har = posted(
        "/rest/release/gray/start",
        json!({"releaseId": "R555", "grayRatio": "10", "max": 100}),
    );
    let recipe = learn_from(
        Feature::Grayscale,
        &har,
        Variant::A,
        &recorded_values(),
        &yes(),
    )
    .unwrap()
    .recipe;
    let Some(Node::Object(body)) = &recipe.requests[0].body else {
        panic!()
    };
    assert_eq!(
        body["grayRatio"],
        Node::Value(Slot::Input {
            input: Input::Ratio,
            repr: gopay_miniapp_recipes::format::Repr::String
        })
    );
    assert_eq!(
        body["max"],
        Node::Value(Slot::Literal { value: json!(100) })
    );
}

#[test]
fn a_composite_holding_a_known_id_is_refused() {
    let har = posted(
        "/rest/release/whitelist/save",
        json!({"target": "/apps/A100/releases", "testers": ["1001", "1002"]}),
    );
    let refusal = refused(&har, &yes());
    assert_eq!(
        refusal,
        Refusal::Composite {
            field: "body.target".into(),
            input: "app_id".into(),
            shown: "/apps/A100/releases".into()
        }
    );
    // A path segment holding the id with more around it cannot be templated by segments.
    let har = posted(
        "/rest/app-A100/whitelist",
        json!({"testers": ["1001", "1002"]}),
    );
    assert!(matches!(
        refused(&har, &yes()),
        Refusal::Composite { field, .. } if field == "path[2]"
    ));
    // Never a substring: an id inside a longer word is no match and no composite.
    let har = posted(
        "/rest/whitelist",
        json!({"appId": "A100", "note": "XA100Y", "testers": ["1001", "1002"]}),
    );
    let learned = learn_a(&har, &options(Literals::Confirm)).unwrap();
    assert!(learned.literals().any(|f| f.place == "body.note"));
}

#[test]
fn an_unexplained_literal_under_yes_needs_an_accept_or_a_confirmation() {
    let har = posted(
        "/rest/release/whitelist/save",
        json!({"appId": "A100", "userIds": ["1001", "1002"], "remark": "added by the release train", "type": "USER_ID", "enable": true, "limit": 500}),
    );
    let refusal = refused(&har, &yes());
    assert_eq!(
        refusal,
        Refusal::Literal {
            field: "body.remark".into(),
            shown: "added by the release train".into()
        }
    );
    assert!(
        refusal.to_string().contains("--accept-literal body.remark"),
        "{refusal}"
    );
    // Accepted by name, or confirmed interactively: every literal is listed for the user.
    let accepted = learn_a(
        &har,
        &options(Literals::Yes {
            accepted: vec!["body.remark".into()],
        }),
    )
    .unwrap();
    let confirmed = learn_a(&har, &options(Literals::Confirm)).unwrap();
    assert_eq!(accepted.recipe, confirmed.recipe);
    let literals: Vec<String> = confirmed.literals().map(Field::name).collect();
    assert_eq!(
        literals,
        ["body.enable", "body.limit", "body.remark", "body.type"]
    );
}

#[test]
fn a_session_value_that_is_not_a_cookies_is_never_kept() {
    // A token in the body equal to the Authorization header's.
    let har = posted(
        "/rest/release/whitelist/save",
        json!({"appId": "A100", "userIds": ["1001", "1002"], "auth": CANARY_AUTH}),
    );
    let refusal = refused(&har, &options(Literals::Confirm));
    assert_eq!(
        refusal,
        Refusal::SessionValue {
            field: "body.auth".into()
        }
    );
    // A field named as a secret, whatever its value, even with the user's accept.
    let har = posted(
        "/rest/release/whitelist/save?sessionId=CANARYquery0004",
        json!({"appId": "A100", "userIds": ["1001", "1002"]}),
    );
    let refusal = refused(
        &har,
        &options(Literals::Yes {
            accepted: vec!["query.sessionId".into()],
        }),
    );
    assert_eq!(
        refusal,
        Refusal::SessionValue {
            field: "query.sessionId".into()
        }
    );
}

#[test]
fn a_body_that_is_not_json_is_refused() {
    let mut har = Har::new();
    har.add(Variant::A, "POST", "/rest/whitelist?appId=A100", None, ok());
    let mut json = har.json();
    json["log"]["entries"][0]["request"]["postData"] =
        json!({"mimeType": "application/x-www-form-urlencoded", "text": "users=1001%2C1002"});
    let recorded = gopay_miniapp_recipes::parse_har(json.to_string().as_bytes()).unwrap();
    let refusal = learn_step(
        Feature::Whitelist,
        &recorded,
        &origin(Variant::A),
        &recorded_values(),
        &yes(),
    )
    .unwrap_err();
    assert!(
        matches!(&refusal, Refusal::UnsupportedBody { shown, .. } if shown == "application/x-www-form-urlencoded"),
        "{refusal:?}"
    );
}

fn a_recipe() -> Recipe {
    let har = step_har(Variant::A, Feature::Whitelist, &recorded_values(), "BETA");
    learn_a(&har, &yes()).unwrap().recipe
}

#[test]
fn a_project_recipe_for_another_origin_or_out_of_bounds_is_refused() {
    let recipe = a_recipe();
    let text = recipe.to_json();
    let other = Url::parse("https://console.example.test").unwrap();
    let err = Recipe::from_json(text.as_bytes(), &other).unwrap_err();
    assert!(matches!(err, RecipeError::Origin { .. }), "{err:?}");
    assert!(err.to_string().contains("http://127.0.0.1:8780"), "{err}");
    // The same origin with a path or a default port is the same origin.
    Recipe::from_json(
        text.as_bytes(),
        &Url::parse("http://127.0.0.1:8780/console/").unwrap(),
    )
    .unwrap();

    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
        f(&mut json);
        Recipe::from_json(json.to_string().as_bytes(), &origin(Variant::A))
    };
    // A path that leaves the path.
    let err = edit(&|j| j["requests"][0]["path"][0] = json!({"slot": "literal", "value": ".."}))
        .unwrap_err();
    assert!(
        err.to_string().contains("not a relative path segment"),
        "{err}"
    );
    let err =
        edit(&|j| j["requests"][0]["path"][1] = json!({"slot": "literal", "value": "%2E%2e"}))
            .unwrap_err();
    assert!(
        err.to_string().contains("not a relative path segment"),
        "{err}"
    );
    let err = edit(&|j| {
        j["requests"][0]["path"][0] = json!({"slot": "literal", "value": "//evil.example"})
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("not a relative path segment"),
        "{err}"
    );
    // A method outside the allowed set.
    let err = edit(&|j| j["requests"][0]["method"] = json!("TRACE")).unwrap_err();
    assert!(matches!(err, RecipeError::Json(_)), "{err:?}");
    // An unknown placeholder.
    let err =
        edit(&|j| j["requests"][0]["path"][0] = json!({"slot": "environment", "name": "HOME"}))
            .unwrap_err();
    assert!(matches!(err, RecipeError::Json(_)), "{err:?}");
    // A session header carried as a literal, or the cookie itself.
    let err = edit(&|j| {
        j["requests"][0]["headers"] =
            json!([{"name": "X-Csrf-Token", "value": {"slot": "literal", "value": "abc"}}])
    })
    .unwrap_err();
    assert!(err.to_string().contains("session value"), "{err}");
    let err = edit(&|j| {
        j["requests"][0]["headers"] =
            json!([{"name": "Cookie", "value": {"slot": "literal", "value": "a=b"}}])
    })
    .unwrap_err();
    assert!(err.to_string().contains("never carried"), "{err}");
    // A value taken from a request that comes later.
    let err = edit(&|j| {
        j["requests"][0]["path"][0] =
            json!({"slot": "from", "request": 0, "path": ["data"], "as": "string"})
    })
    .unwrap_err();
    assert!(err.to_string().contains("not an earlier one"), "{err}");
    // Another format version.
    let err = edit(&|j| j["format"] = json!(2)).unwrap_err();
    assert!(matches!(err, RecipeError::Format { found: 2 }), "{err:?}");
    // Over the size limit.
    let err = edit(&|j| {
        j["requests"][0]["path"][0] = json!({"slot": "literal", "value": "a".repeat(300 * 1024)})
    })
    .unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");
}

#[test]
fn the_content_hash_changes_with_the_content() {
    let recipe = a_recipe();
    let mut changed = recipe.clone();
    changed.requests[0].method = gopay_miniapp_recipes::Method::Put;
    assert_ne!(recipe.content_hash(), changed.content_hash());
    assert_eq!(recipe.content_hash().len(), 64);
    // Whitespace of the file does not change it: the hash is of the content.
    let compact = serde_json::to_string(&recipe).unwrap();
    let read = Recipe::from_json(compact.as_bytes(), &origin(Variant::A)).unwrap();
    assert_eq!(read.content_hash(), recipe.content_hash());
}

#[test]
fn an_answer_that_no_longer_matches_is_a_typed_error_with_the_portals_message() {
    let recipe = a_recipe();
    let err = check_answer(
        &recipe,
        0,
        200,
        br#"{"success": false, "errorCode": "ILLEGAL_STEP", "errorMsg": "release is not in pilot test\u001b[2J"}"#,
    )
    .unwrap_err();
    assert!(
        matches!(&err, AnswerError::NotSuccess { request: 1, of: 1, status: 200, message: Some(m), .. } if m.starts_with("release is not in pilot test")),
        "{err:?}"
    );
    // The portal's message is shown, its escape sequence not obeyed.
    let shown = err.to_string();
    assert!(
        shown.contains("release is not in pilot test\\x1b[2J"),
        "{shown}"
    );
    // An HTTP error with an HTML page: no message, the status.
    let err = check_answer(&recipe, 0, 502, b"<html>Bad Gateway</html>").unwrap_err();
    assert!(err.to_string().contains("HTTP 502"), "{err}");

    // Half-way through a two-request step: says what was already done.
    let rollback = learn_step(
        Feature::Rollback,
        &step_har(Variant::A, Feature::Rollback, &recorded_values(), "BETA").recorded(),
        &origin(Variant::A),
        &recorded_values(),
        &yes(),
    )
    .unwrap()
    .recipe;
    let err = check_answer(
        &rollback,
        1,
        200,
        br#"{"success": false, "errorMsg": "expired"}"#,
    )
    .unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("request 2 of 2"), "{shown}");
    assert!(shown.contains("request 1 had been made"), "{shown}");
}

#[test]
fn a_temporary_code_answer_without_a_code_is_refused() {
    let mut har = Har::new();
    har.add(
        Variant::A,
        "POST",
        "/rest/release/temporaryCode/create",
        Some(json!({"appId": "A100", "releaseId": "R555"})),
        json!({"success": true, "data": {"expireSeconds": 600}}),
    );
    let refusal = learn_from(
        Feature::TemporaryCode,
        &har,
        Variant::A,
        &recorded_values(),
        &yes(),
    )
    .unwrap_err();
    assert!(
        matches!(&refusal, Refusal::NoCode { request, .. } if request == "POST /rest/release/temporaryCode/create"),
        "{refusal:?}"
    );
    // A recipe file for temporary code without its code shape is not a valid recipe.
    let mut har = Har::new();
    har.add(
        Variant::A,
        "POST",
        "/rest/release/temporaryCode/create",
        Some(json!({"appId": "A100", "releaseId": "R555"})),
        json!({"success": true, "data": {"publishId": "5000000000000002"}}),
    );
    let recipe = learn_from(
        Feature::TemporaryCode,
        &har,
        Variant::A,
        &recorded_values(),
        &yes(),
    )
    .unwrap()
    .recipe;
    let mut json: serde_json::Value = serde_json::from_str(&recipe.to_json()).unwrap();
    json.as_object_mut().unwrap().remove("code");
    let err = Recipe::from_json(json.to_string().as_bytes(), &origin(Variant::A)).unwrap_err();
    assert!(err.to_string().contains("needs `code`"), "{err}");
}

#[test]
fn a_short_value_in_two_places_is_refused_unless_each_place_is_named() {
    // The ratio is 10 and so is the page size: which is the ratio nothing tells.
    let har = posted(
        "/rest/release/gray/start",
        json!({"releaseId": "R555", "grayRatio": 10, "pageSize": 10}),
    );
    let learn = |options: &Options| {
        learn_from(
            Feature::Grayscale,
            &har,
            Variant::A,
            &recorded_values(),
            options,
        )
    };
    let refusal = learn(&yes()).unwrap_err();
    assert_eq!(
        refusal,
        Refusal::Repeated {
            input: "ratio".into(),
            fields: vec!["body.grayRatio".into(), "body.pageSize".into()]
        }
    );
    let mut told = yes();
    told.choices
        .push(("body.grayRatio".into(), Some(Input::Ratio)));
    told.choices.push(("body.pageSize".into(), None));
    let recipe = learn(&told).unwrap().recipe;
    let Some(Node::Object(body)) = &recipe.requests[0].body else {
        panic!()
    };
    assert_eq!(
        body["pageSize"],
        Node::Value(Slot::Literal { value: json!(10) })
    );
    assert!(matches!(
        body["grayRatio"],
        Node::Value(Slot::Input {
            input: Input::Ratio,
            ..
        })
    ));
}

#[test]
fn the_status_after_is_the_releases_own_not_another_target_apps() {
    // No release id known: the version alone is in both target apps' releases; the channel
    // code tells which is this one.
    let mut values = recorded_values();
    values.release_id = None;
    let mut har = Har::new();
    har.add(
        Variant::A,
        "POST",
        "/rest/release/cancel",
        Some(json!({"appId": "A100", "version": "1.0.2", "channelCode": "GOPAY_STAGING"})),
        ok(),
    )
    .add(
        Variant::A,
        "GET",
        "/rest/release/list?appId=A100",
        None,
        json!({"success": true, "data": [
            {"version": "1.0.2", "channelCode": "GOPAY_PROD", "versionStatus": "ONLINE"},
            {"version": "1.0.2", "channelCode": "GOPAY_STAGING", "versionStatus": "CANCELLED"}
        ]}),
    );
    let recipe = learn_from(Feature::Cancel, &har, Variant::A, &values, &yes())
        .unwrap()
        .recipe;
    assert_eq!(recipe.status_after.unwrap().word, "CANCELLED");
}

#[test]
fn what_could_not_be_read_back_is_not_learned() {
    // A literal longer than a recipe file may hold, accepted by the user: still refused, so
    // nothing is saved that the tool would refuse to read.
    let har = posted(
        "/rest/release/whitelist/save",
        json!({"appId": "A100", "userIds": ["1001", "1002"], "remark": "x".repeat(5000)}),
    );
    let refusal = refused(&har, &options(Literals::Confirm));
    assert!(matches!(refusal, Refusal::Unstorable { .. }), "{refusal:?}");
    assert!(refusal.to_string().contains("4096"), "{refusal}");
}

#[test]
fn field_names_from_the_page_are_shown_not_obeyed() {
    let har = posted(
        "/rest/release/whitelist/save",
        json!({"appId": "A100", "userIds": ["1001", "1002"], "re\u{1b}[2Jmark": "added by the release train"}),
    );
    let refusal = refused(&har, &yes());
    let shown = refusal.to_string();
    assert!(shown.contains("body.re\\x1b[2Jmark"), "{shown}");
    assert!(!shown.contains('\u{1b}'), "{shown}");
}

#[test]
fn a_list_id_in_two_fields_or_a_har_mixing_origins_is_refused() {
    let mut har = Har::new();
    har.add(
        Variant::A,
        "GET",
        "/rest/space/list",
        None,
        json!({"data": [{"parentId": "S7", "id": "S9", "name": "Child"}, {"id": "S7", "name": "Team"}]}),
    );
    let refusal = learn_spaces(&har.recorded(), Variant::A, "S7", None).unwrap_err();
    assert!(
        matches!(&refusal, Refusal::Indistinguishable { first, second } if first.contains("parentId") && second.contains("id")),
        "{refusal:?}"
    );

    // The step recorded on another portal, with one script of the bound portal's among it.
    let mut har = step_har(Variant::B, Feature::Whitelist, &recorded_values(), "BETA");
    har.add(Variant::A, "GET", "/assets/app.js", None, json!(null));
    let refusal = refused(&har, &yes());
    assert!(
        matches!(refusal, Refusal::ForeignOrigin { .. }),
        "{refusal:?}"
    );
}

#[test]
fn user_ids_sent_apart_are_refused() {
    let har = posted(
        "/rest/whitelist/add",
        json!({"appId": "A100", "first": "1001", "second": "1002"}),
    );
    assert_eq!(
        refused(&har, &yes()),
        Refusal::UserIdsApart {
            field: "body.first".into()
        }
    );
}

/// A list that only refers to the id (the MiniApps of a space, each with its `spaceId`) next to
/// the list of those items: two candidates without a name; the confirmed name tells them apart
/// (only the spaces' item has a field equal to it), and the other list's item never wins.
#[test]
fn a_confirmed_name_tells_a_list_from_one_referring_to_its_ids() {
    let mut har = Har::new();
    har.add(
        Variant::A,
        "GET",
        "/rest/space/list?pageNo=1&pageSize=20",
        None,
        json!({"success": true, "data": {"list": [{"spaceId": "S7000", "spaceName": "Team"}], "total": 1}}),
    );
    har.add(
        Variant::A,
        "GET",
        "/rest/app/list?spaceId=S7000&pageNo=1&pageSize=20",
        None,
        json!({"success": true, "data": {"list": [{"appId": "A100", "appName": "Hello", "spaceId": "S7000"}], "total": 1}}),
    );
    let refusal = learn_spaces(&har.recorded(), Variant::A, "S7000", None).unwrap_err();
    assert!(
        matches!(refusal, Refusal::Indistinguishable { .. }),
        "{refusal:?}"
    );
    let recipe = learn_spaces(&har.recorded(), Variant::A, "S7000", Some("Team"))
        .unwrap()
        .recipe;
    let list = recipe.list.unwrap();
    assert_eq!(
        (list.id_field.as_str(), list.name_field.as_str()),
        ("spaceId", "spaceName")
    );
    assert!(
        format!("{:?}", recipe.requests[0].path).contains("space"),
        "{:?}",
        recipe.requests[0].path
    );
}
