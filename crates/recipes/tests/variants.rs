//! Both made-up console variants learned by the same code, then replayed: the recorded
//! requests come back for the recorded values and the right ones for new values; no planted
//! secret shows in a recipe, the redacted view or any Debug output.

mod common;

use common::*;
use gopay_miniapp_recipes::format::{
    Input, Node, PathStep, Repr, Slot, Stop, TimeUnit, UserIdsShape,
};
use gopay_miniapp_recipes::learn::Field;
use gopay_miniapp_recipes::replay::{first_page, list_items, next_page, ListItem};
use gopay_miniapp_recipes::{
    check_answer, dry_run, learn_step, prepare, Context, Feature, Learned, Recipe, Values,
};
use serde_json::Value;
use time::OffsetDateTime;

fn learn(variant: Variant, feature: Feature) -> Learned {
    let v = recorded_values();
    let har = step_har(variant, feature, &v, "BETA");
    learn_from(feature, &har, variant, &v, &yes())
        .unwrap_or_else(|e| panic!("{variant:?} {feature}: {e}"))
}

/// The session's cookies of a variant, as the adapter's cookie jar would give them.
fn cookie(name: &str) -> Option<String> {
    match name {
        "SA_CONSOLE_SESSION" | "SESSION" => Some(CANARY_COOKIE.into()),
        "XSRF-TOKEN" => Some(CANARY_CSRF.into()),
        _ => None,
    }
}

fn context<'a>(values: &'a Values, cookie: &'a dyn Fn(&str) -> Option<String>) -> Context<'a> {
    Context {
        values,
        cookie,
        bx_v: "2.5.36",
        now: OffsetDateTime::from_unix_timestamp_nanos(i128::from(T_MS) * 1_000_000).unwrap(),
    }
}

/// Replays `recipe` with `values` against the answers the console would give, and checks every
/// request equals the one the console's own page sends for those values.
fn replay_equals_console(variant: Variant, feature: Feature, recipe: &Recipe, values: &Values) {
    let expected = step_requests(variant, feature, values);
    assert_eq!(
        recipe.requests.len(),
        expected.len(),
        "{variant:?} {feature}"
    );
    let ctx = context(values, &cookie);
    let mut answers: Vec<Value> = Vec::new();
    for (index, (method, path, body, answer)) in expected.iter().enumerate() {
        let prepared = prepare(recipe, index, &ctx, &answers, None).unwrap();
        assert_eq!(
            prepared.method.as_str(),
            method,
            "{variant:?} {feature} #{index}"
        );
        assert_eq!(
            &prepared.path_and_query, path,
            "{variant:?} {feature} #{index}"
        );
        assert_eq!(&prepared.body, body, "{variant:?} {feature} #{index}");
        let header = |name: &str| {
            prepared
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("bx-v"), Some("2.5.36"));
        assert_eq!(header("authorization"), None);
        assert_eq!(header("cookie"), None);
        assert_eq!(
            header("content-type"),
            body.as_ref().map(|_| "application/json")
        );
        if variant == Variant::B {
            // The CSRF header is the session's current cookie value, sent but never shown.
            assert_eq!(header("x-xsrf-token"), Some(CANARY_CSRF));
            let shown = format!("{}{:?}", prepared.redacted(), prepared);
            assert!(shown.contains("<cookie XSRF-TOKEN>"), "{shown}");
            assert_no_canary("the redacted view", &shown);
        }
        let answer = check_answer(recipe, index, 200, answer.to_string().as_bytes()).unwrap();
        answers.push(answer);
    }
}

#[test]
fn both_variants_round_trip_for_the_recorded_and_for_new_values() {
    for variant in [Variant::A, Variant::B] {
        for feature in [Feature::Whitelist, Feature::Grayscale, Feature::Rollback] {
            let learned = learn(variant, feature);
            replay_equals_console(variant, feature, &learned.recipe, &recorded_values());
            replay_equals_console(variant, feature, &learned.recipe, &new_values());
        }
    }
}

fn body_slot<'r>(recipe: &'r Recipe, request: usize, path: &[&str]) -> &'r Slot {
    let mut node = recipe.requests[request].body.as_ref().unwrap();
    for key in path {
        let Node::Object(map) = node else {
            panic!("not an object at {key}")
        };
        node = &map[*key];
    }
    let Node::Value(slot) = node else {
        panic!("not a value")
    };
    slot
}

#[test]
fn the_variants_shapes_are_recorded_as_they_were_seen() {
    // A: user IDs as an array of strings, the ratio as a number, no CSRF header, no buster.
    let a = learn(Variant::A, Feature::Whitelist).recipe;
    assert_eq!(
        body_slot(&a, 0, &["userIds"]),
        &Slot::UserIds {
            shape: UserIdsShape::Array { repr: Repr::String }
        }
    );
    assert_eq!(
        body_slot(&a, 0, &["appId"]),
        &Slot::Input {
            input: Input::AppId,
            repr: Repr::String
        }
    );
    assert_eq!(
        body_slot(&a, 0, &["enable"]),
        &Slot::Literal {
            value: Value::Bool(true)
        }
    );
    assert!(a.requests[0].query.is_empty());
    assert_eq!(
        a.requests[0]
            .headers
            .iter()
            .map(|h| h.name.as_str())
            .collect::<Vec<_>>(),
        ["bx-v"]
    );
    let status = a.status_after.as_ref().unwrap();
    assert_eq!(
        (status.field.as_str(), status.word.as_str()),
        ("versionStatus", "BETA")
    );
    let gray = learn(Variant::A, Feature::Grayscale).recipe;
    assert_eq!(
        body_slot(&gray, 0, &["grayRatio"]),
        &Slot::Input {
            input: Input::Ratio,
            repr: Repr::Number
        }
    );

    // B: the ids are path segments, user IDs `;`-joined, the ratio a string, the CSRF header
    // a cookie reference, `_` the time of sending, the status field `state`.
    let b = learn(Variant::B, Feature::Whitelist).recipe;
    assert_eq!(
        b.requests[0].path[3],
        Slot::Input {
            input: Input::AppId,
            repr: Repr::String
        }
    );
    assert_eq!(
        b.requests[0].path[5],
        Slot::Input {
            input: Input::ReleaseId,
            repr: Repr::String
        }
    );
    assert_eq!(
        body_slot(&b, 0, &["testers"]),
        &Slot::UserIds {
            shape: UserIdsShape::Joined {
                separator: ";".into()
            }
        }
    );
    assert_eq!(
        b.requests[0].query[0].value,
        Slot::Now {
            unit: TimeUnit::Millis
        }
    );
    let csrf = b.requests[0]
        .headers
        .iter()
        .find(|h| h.name == "x-xsrf-token")
        .unwrap();
    assert_eq!(
        csrf.value,
        Slot::Cookie {
            name: "XSRF-TOKEN".into()
        }
    );
    assert_eq!(b.status_after.as_ref().unwrap().field, "state");
    let gray = learn(Variant::B, Feature::Grayscale).recipe;
    assert_eq!(
        body_slot(&gray, 0, &["percent"]),
        &Slot::Input {
            input: Input::Ratio,
            repr: Repr::String
        }
    );
    // The CSRF value echoed in the query and the body are cookie references too.
    assert_eq!(
        gray.requests[0].query[1].value,
        Slot::Cookie {
            name: "XSRF-TOKEN".into()
        }
    );
    assert_eq!(
        body_slot(&gray, 0, &["xsrf"]),
        &Slot::Cookie {
            name: "XSRF-TOKEN".into()
        }
    );
}

#[test]
fn a_two_request_step_is_chained_through_the_first_answers_id() {
    let a = learn(Variant::A, Feature::Rollback).recipe;
    assert_eq!(a.requests.len(), 2);
    assert_eq!(
        body_slot(&a, 1, &["rollbackId"]),
        &Slot::From {
            request: 0,
            path: vec![
                PathStep::Key("data".into()),
                PathStep::Key("rollbackId".into())
            ],
            repr: Repr::String
        }
    );
    // B: the second request carries no input at all, only the first answer's number in its
    // path; the release query before the step is not part of it.
    let b = learn(Variant::B, Feature::Rollback).recipe;
    assert_eq!(b.requests.len(), 2);
    assert_eq!(
        b.requests[1].path[3],
        Slot::From {
            request: 0,
            path: ["result", "ticket", "no"]
                .iter()
                .map(|k| PathStep::Key(k.to_string()))
                .collect(),
            repr: Repr::String
        }
    );
    assert_eq!(b.requests[0].method.as_str(), "POST");

    // Replaying the second request before the first answered is a typed error, not a guess.
    let values = recorded_values();
    let ctx = context(&values, &cookie);
    let err = prepare(&b, 1, &ctx, &[], None).unwrap_err();
    assert!(err.to_string().contains("answer of request 1"), "{err}");
    // The dry run shows where the value comes from.
    let shown: String = dry_run(&b, &ctx)
        .unwrap()
        .iter()
        .map(|r| r.to_string())
        .collect();
    assert!(
        shown.contains("/api/v2/rollbacks/<answer of request 1 at result.ticket.no>/submit"),
        "{shown}"
    );
}

#[test]
fn lists_of_both_variants_are_learned_and_paged() {
    let a = learn_spaces(&spaces_har(Variant::A).recorded(), Variant::A, "S7", None)
        .unwrap()
        .recipe;
    let list = a.list.as_ref().unwrap();
    assert_eq!(
        list.items,
        vec![PathStep::Key("data".into()), PathStep::Key("list".into())]
    );
    assert_eq!(
        (list.id_field.as_str(), list.name_field.as_str()),
        ("spaceId", "spaceName")
    );
    let paging = list.paging.as_ref().unwrap();
    assert_eq!((paging.first, paging.step, paging.size), (1, 1, Some(2)));
    assert_eq!(
        paging.stop,
        Stop::Total {
            path: vec![PathStep::Key("data".into()), PathStep::Key("total".into())]
        }
    );
    let values = Values::default();
    let ctx = context(&values, &cookie);
    let page = first_page(&a).unwrap();
    let request = prepare(&a, 0, &ctx, &[], Some(page)).unwrap();
    assert_eq!(
        request.path_and_query,
        "/rest/space/list?pageNo=1&pageSize=2"
    );
    let answer: Value = spaces_har(Variant::A).recorded()[2].answer_json().unwrap();
    let answer = check_answer(&a, 0, 200, answer.to_string().as_bytes()).unwrap();
    let items = list_items(&a, &answer).unwrap();
    assert_eq!(
        items[0],
        ListItem {
            id: "S7".into(),
            name: "Team Space".into()
        }
    );
    // Total 3, two read: one more page; then three read: done.
    assert_eq!(next_page(&a, page, &answer, 2, 2), Some(2));
    assert_eq!(
        prepare(&a, 0, &ctx, &[], Some(2)).unwrap().path_and_query,
        "/rest/space/list?pageNo=2&pageSize=2"
    );
    assert_eq!(next_page(&a, 2, &answer, 1, 3), None);

    // B: number ids under result.items, a title instead of a name (so the user names the
    // item), page 0-based with a hasMore flag.
    let recorded = spaces_har(Variant::B).recorded();
    let unclear = learn_spaces(&recorded, Variant::B, "12", None).unwrap_err();
    assert!(unclear.to_string().contains("title"), "{unclear}");
    let b = learn_spaces(&recorded, Variant::B, "12", Some("Team Space"))
        .unwrap()
        .recipe;
    let list = b.list.as_ref().unwrap();
    assert_eq!(
        (list.id_field.as_str(), list.name_field.as_str()),
        ("id", "title")
    );
    let paging = list.paging.as_ref().unwrap();
    assert_eq!((paging.first, paging.size), (0, Some(50)));
    let answer = recorded[2].answer_json().unwrap();
    assert_eq!(
        list_items(&b, &answer).unwrap(),
        [ListItem {
            id: "12".into(),
            name: "Team Space".into()
        }]
    );
    assert_eq!(next_page(&b, 0, &answer, 1, 1), None);
    assert_eq!(
        prepare(&b, 0, &ctx, &[], Some(0)).unwrap().path_and_query,
        format!("/api/v2/spaces?page=0&size=50&_={T_MS}")
    );
}

#[test]
fn no_planted_secret_is_in_a_recipe_a_view_or_debug_output() {
    let values = recorded_values();
    for variant in [Variant::A, Variant::B] {
        for feature in [Feature::Whitelist, Feature::Grayscale, Feature::Rollback] {
            let har = step_har(variant, feature, &values, "BETA");
            let recorded = har.recorded();
            // The canaries are really in the recording...
            let har_text = har.json().to_string();
            assert!(har_text.contains(CANARY_AUTH) && har_text.contains(CANARY_COOKIE));
            let learned =
                learn_step(feature, &recorded, &origin(variant), &values, &yes()).unwrap();
            // ...and in none of these.
            assert_no_canary("the recipe", &learned.recipe.to_json());
            assert_no_canary("Debug of the learned recipe", &format!("{learned:?}"));
            assert_no_canary("Debug of the recording", &format!("{recorded:?}"));
            let fields: String = learned.fields.iter().map(Field::to_string).collect();
            assert_no_canary("the fields shown", &fields);
            assert_no_canary("the recipe shown", &learned.to_string());
            let ctx = context(&values, &cookie);
            let dry: String = dry_run(&learned.recipe, &ctx)
                .unwrap()
                .iter()
                .map(|r| format!("{r}{r:?}"))
                .collect();
            assert_no_canary("the dry run", &dry);
            let prepared = prepare(&learned.recipe, 0, &ctx, &[], None).unwrap();
            assert_no_canary("Debug of a prepared request", &format!("{prepared:?}"));
            assert_no_canary("the redacted view", &prepared.redacted().to_string());
            // Reading the recipe back (as from a project) gives the same recipe and hash.
            let again =
                Recipe::from_json(learned.recipe.to_json().as_bytes(), &origin(variant)).unwrap();
            assert_eq!(again, learned.recipe);
            assert_eq!(again.content_hash(), learned.recipe.content_hash());
        }
    }
}

#[test]
fn a_har_file_is_read_within_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("console.har");
    let har = step_har(Variant::B, Feature::Whitelist, &recorded_values(), "BETA");
    std::fs::write(&path, har.json().to_string()).unwrap();
    let recorded = gopay_miniapp_recipes::read_har_file(&path).unwrap();
    // The data: URL is left out; the script, the tracker and the four console requests stay.
    assert_eq!(recorded.len(), 5);
    assert_eq!(recorded[2].started_ms, Some(T_MS));

    let big = dir.path().join("big.har");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(gopay_miniapp_guard::limits::HAR_FILE_MAX + 1)
        .unwrap();
    let err = gopay_miniapp_recipes::read_har_file(&big).unwrap_err();
    assert!(err.to_string().contains("larger than 64 MiB"), "{err}");

    std::fs::write(&path, b"{\"not\": \"a har\"}").unwrap();
    let err = gopay_miniapp_recipes::read_har_file(&path).unwrap_err();
    assert!(err.to_string().contains("not a HAR 1.2 file"), "{err}");
}

/// docs/recipes.md shows this recipe (variant B's grayscale) as its example: the test keeps
/// the documented example the learner's real output.
#[test]
fn the_documented_example_is_what_the_learner_makes() {
    let recipe = learn(Variant::B, Feature::Grayscale).recipe;
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/recipes.md"
    ))
    .unwrap();
    let start = doc
        .find("```json\n")
        .expect("docs/recipes.md has a JSON example")
        + 8;
    let end = start + doc[start..].find("```").unwrap();
    let documented: Value = serde_json::from_str(&doc[start..end]).unwrap();
    let made: Value = serde_json::from_str(&recipe.to_json()).unwrap();
    if std::env::var_os("UPDATE_GENERATED").is_some() && documented != made {
        let updated = format!("{}{}{}", &doc[..start], recipe.to_json(), &doc[end..]);
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/recipes.md"),
            updated,
        )
        .unwrap();
        return;
    }
    assert_eq!(
        documented, made,
        "docs/recipes.md's example is not what the learner makes (UPDATE_GENERATED=1 rewrites it)"
    );
}

/// Temporary code: A posts and answers a publish id; B reads a QR image with a GET (the one
/// read that can be a step: its answer is the code); a third console answers a data: URL.
#[test]
fn temporary_codes_are_read_from_a_publish_id_an_image_or_a_data_url() {
    use gopay_miniapp_recipes::format::CodeShape;
    use gopay_miniapp_recipes::replay::{temporary_code, Code};
    let v = recorded_values();
    let ctx_values = new_values();
    let ctx = context(&ctx_values, &cookie);

    let mut a = Har::new();
    a.noise(Variant::A)
        .add(
            Variant::A,
            "GET",
            "/rest/release/list?appId=A100",
            None,
            serde_json::json!({"success": true, "data": {"list": [{"id": "R555", "icon": "https://cdn.example/icon.png"}]}}),
        )
        .add(
            Variant::A,
            "POST",
            "/rest/release/temporaryCode/create",
            Some(serde_json::json!({"appId": "A100", "releaseId": "R555"})),
            serde_json::json!({"success": true, "data": {"publishId": "5000000000000002", "expireSeconds": 600}}),
        );
    let recipe = learn_from(Feature::TemporaryCode, &a, Variant::A, &v, &yes())
        .unwrap()
        .recipe;
    assert_eq!(recipe.requests.len(), 1);
    assert_eq!(
        recipe.code,
        Some(CodeShape::PublishId {
            path: vec![
                PathStep::Key("data".into()),
                PathStep::Key("publishId".into())
            ]
        })
    );
    let request = prepare(&recipe, 0, &ctx, &[], None).unwrap();
    assert_eq!(
        request.body,
        Some(serde_json::json!({"appId": "A2009", "releaseId": "R77"}))
    );
    let body = br#"{"success": true, "data": {"publishId": 5000000000000009}}"#;
    let answer = check_answer(&recipe, 0, 200, body).unwrap();
    assert_eq!(
        temporary_code(&recipe, &answer, body).unwrap(),
        Code::PublishId("5000000000000009".into())
    );
    let err = temporary_code(&recipe, &serde_json::json!({"success": true}), b"{}").unwrap_err();
    assert!(err.to_string().contains("data.publishId"), "{err}");

    let png = b"\x89PNG\r\n\x1a\n made-up QR";
    let mut b = Har::new();
    b.noise(Variant::B).add_image(
        Variant::B,
        "GET",
        &format!("/api/v2/apps/A100/releases/R555/qrcode?_={T_MS}"),
        png,
    );
    let recipe = learn_from(Feature::TemporaryCode, &b, Variant::B, &v, &yes())
        .unwrap()
        .recipe;
    assert_eq!(recipe.code, Some(CodeShape::QrImage));
    assert_eq!(recipe.requests[0].method.as_str(), "GET");
    assert_eq!(
        prepare(&recipe, 0, &ctx, &[], None).unwrap().path_and_query,
        format!("/api/v2/apps/A2009/releases/R77/qrcode?_={T_MS}")
    );
    let answer = check_answer(&recipe, 0, 200, png).unwrap();
    assert_eq!(
        temporary_code(&recipe, &answer, png).unwrap(),
        Code::Image(png.to_vec())
    );
    // The recipe read back as a project's keeps its code shape.
    Recipe::from_json(recipe.to_json().as_bytes(), &origin(Variant::B)).unwrap();

    let mut c = Har::new();
    c.add(
        Variant::A,
        "POST",
        "/rest/code",
        Some(serde_json::json!({"appId": "A100"})),
        serde_json::json!({"success": true, "data": {"qr": "data:image/png;base64,iVBORw0KGgo=", "link": "gopay://mini-app/windvane?app_id=A100"}}),
    );
    let recipe = learn_from(Feature::TemporaryCode, &c, Variant::A, &v, &yes())
        .unwrap()
        .recipe;
    let answer = check_answer(
        &recipe,
        0,
        200,
        c.recorded()[0].response.as_ref().unwrap().body.as_slice(),
    )
    .unwrap();
    assert_eq!(
        temporary_code(&recipe, &answer, b"").unwrap(),
        Code::Image(b"\x89PNG\r\n\x1a\n".to_vec())
    );
}

#[test]
fn the_recipe_is_shown_field_by_field_for_the_user_to_confirm() {
    let shown = learn(Variant::B, Feature::Grayscale).to_string();
    for line in [
        "grayscale on https://console.example.test (1 request):",
        "  1. PUT /api/v2/apps/{app_id}/releases/{release_id}/gray",
        "       query._: now (milliseconds)",
        "       query.csrfToken: the current value of cookie XSRF-TOKEN",
        "       header.x-xsrf-token: the current value of cookie XSRF-TOKEN",
        "       body.percent: {ratio} as a string",
        "       body.options.notify: literal false",
        "  after it the release showed state = BETA",
    ] {
        assert!(
            shown.lines().any(|l| l == line),
            "no line `{line}` in:\n{shown}"
        );
    }
    let chained = learn(Variant::B, Feature::Rollback).to_string();
    assert!(
        chained.contains("  2. POST /api/v2/rollbacks/{answer 1 at result.ticket.no}/submit"),
        "{chained}"
    );
}

#[test]
fn the_fingerprint_of_a_portals_recipes_changes_with_any_of_them() {
    use gopay_miniapp_recipes::format::fingerprint;
    let a = learn(Variant::A, Feature::Whitelist).recipe;
    let b = learn(Variant::A, Feature::Grayscale).recipe;
    // Order does not matter; content does.
    assert_eq!(fingerprint([&a, &b]), fingerprint([&b, &a]));
    assert_ne!(fingerprint([&a, &b]), fingerprint([&a]));
    assert_ne!(
        fingerprint([&a]),
        fingerprint(std::iter::empty::<&Recipe>())
    );
    let mut changed = b.clone();
    changed.status_after = None;
    assert_ne!(fingerprint([&a, &b]), fingerprint([&a, &changed]));
}

/// What a console page also sends while the user does the step does not join it: a tracker
/// carrying a number equal to the ratio, a constant equal to one in an earlier answer.
#[test]
fn noise_in_the_recording_does_not_join_the_step() {
    let v = recorded_values();
    let mut har = Har::new();
    har.noise(Variant::A)
        .add(
            Variant::A,
            "GET",
            "/rest/release/list?appId=A100",
            None,
            serde_json::json!({"success": true, "data": {"mode": "append", "list": [{"id": "R555"}]}}),
        )
        .add(
            Variant::A,
            "POST",
            "/rest/track",
            Some(serde_json::json!({"count": 10, "page": "release"})),
            serde_json::json!({"success": true}),
        )
        .add(
            Variant::A,
            "POST",
            "/rest/release/gray/start",
            Some(serde_json::json!({"releaseId": "R555", "grayRatio": 10, "mode": "append"})),
            serde_json::json!({"success": true}),
        );
    let learned = learn_from(Feature::Grayscale, &har, Variant::A, &v, &yes()).unwrap();
    assert_eq!(learned.recipe.requests.len(), 1, "{learned}");
    assert_eq!(
        body_slot(&learned.recipe, 0, &["mode"]),
        &Slot::Literal {
            value: Value::String("append".into())
        }
    );
}

/// The expected id on the second page: the list still starts at the first page recorded.
#[test]
fn a_list_whose_id_is_on_a_later_page_starts_at_the_first() {
    let mut har = Har::new();
    for (page, id) in [(1, "S1"), (2, "S7")] {
        har.add(
            Variant::A,
            "GET",
            &format!("/rest/space/list?pageNo={page}&pageSize=1"),
            None,
            serde_json::json!({"success": true, "data": {"total": 2, "list": [{"spaceId": id, "spaceName": "Team"}]}}),
        );
    }
    let recipe = learn_spaces(&har.recorded(), Variant::A, "S7", None)
        .unwrap()
        .recipe;
    assert_eq!(first_page(&recipe), Some(1));
}

/// Without the release's id among the values, the step takes it from the release query the
/// page made first: the read joins the step, and the replay reads it again.
#[test]
fn a_read_whose_answer_the_step_uses_joins_it() {
    let mut v = recorded_values();
    v.release_id = None;
    let mut har = Har::new();
    har.noise(Variant::A)
        .add(
            Variant::A,
            "GET",
            "/rest/release/list?appId=A100",
            None,
            serde_json::json!({"success": true, "data": {"list": [{"id": "R555", "version": "1.0.2"}]}}),
        )
        .add(
            Variant::A,
            "POST",
            "/rest/release/gray/start",
            Some(serde_json::json!({"releaseId": "R555", "grayRatio": 10})),
            serde_json::json!({"success": true}),
        );
    let recipe = learn_from(Feature::Grayscale, &har, Variant::A, &v, &yes())
        .unwrap()
        .recipe;
    assert_eq!(recipe.requests.len(), 2);
    assert_eq!(recipe.requests[0].method.as_str(), "GET");
    assert_eq!(
        body_slot(&recipe, 1, &["releaseId"]),
        &Slot::From {
            request: 0,
            path: vec![
                PathStep::Key("data".into()),
                PathStep::Key("list".into()),
                PathStep::Index(0),
                PathStep::Key("id".into())
            ],
            repr: Repr::String
        }
    );
    let mut other = new_values();
    other.release_id = None;
    let ctx = context(&other, &cookie);
    let read = prepare(&recipe, 0, &ctx, &[], None).unwrap();
    assert_eq!(read.path_and_query, "/rest/release/list?appId=A2009");
    let answer = check_answer(
        &recipe,
        0,
        200,
        br#"{"success": true, "data": {"list": [{"id": "R9001"}]}}"#,
    )
    .unwrap();
    let step = prepare(&recipe, 1, &ctx, &[answer], None).unwrap();
    assert_eq!(
        step.body,
        Some(serde_json::json!({"releaseId": "R9001", "grayRatio": 25}))
    );
}

/// A page that fetches a CSRF token first and sends it with the step: the token is taken from
/// the answer at replay, sent, and shown only as where it comes from.
#[test]
fn a_token_fetched_first_is_taken_from_its_answer_and_never_shown() {
    let v = recorded_values();
    let mut har = Har::new();
    har.add(
        Variant::A,
        "POST",
        "/rest/csrf/issue",
        Some(serde_json::json!({"appId": "A100"})),
        serde_json::json!({"success": true, "data": {"csrfToken": "tok-77f1e2d3c4b5a6"}}),
    )
    .add(
        Variant::A,
        "POST",
        "/rest/release/withdraw",
        Some(serde_json::json!({"releaseId": "R555", "csrf": "tok-77f1e2d3c4b5a6"})),
        serde_json::json!({"success": true}),
    );
    let recipe = learn_from(Feature::Withdraw, &har, Variant::A, &v, &yes())
        .unwrap()
        .recipe;
    assert!(!recipe.to_json().contains("tok-77f1"));
    let ctx = context(&v, &cookie);
    let answer = check_answer(
        &recipe,
        0,
        200,
        br#"{"success": true, "data": {"csrfToken": "tok-NEW-SECRET-123"}}"#,
    )
    .unwrap();
    let step = prepare(&recipe, 1, &ctx, &[answer], None).unwrap();
    assert_eq!(
        step.body,
        Some(serde_json::json!({"releaseId": "R555", "csrf": "tok-NEW-SECRET-123"}))
    );
    let shown = format!("{}{step:?}", step.redacted());
    assert!(!shown.contains("tok-NEW-SECRET"), "{shown}");
    assert!(
        shown.contains("<answer of request 1 at data.csrfToken>"),
        "{shown}"
    );
}

/// User IDs as one query parameter repeated (as a Java console binds a list) replay as many
/// times as there are IDs.
#[test]
fn user_ids_as_a_repeated_query_parameter() {
    let v = recorded_values();
    let mut har = Har::new();
    har.add(
        Variant::A,
        "POST",
        "/rest/whitelist/add?userIds=1001&userIds=1002&appId=A100",
        None,
        serde_json::json!({"success": true}),
    );
    let recipe = learn_from(Feature::Whitelist, &har, Variant::A, &v, &yes())
        .unwrap()
        .recipe;
    assert_eq!(recipe.requests[0].query.len(), 2);
    let values = new_values();
    let ctx = context(&values, &cookie);
    assert_eq!(
        prepare(&recipe, 0, &ctx, &[], None).unwrap().path_and_query,
        "/rest/whitelist/add?userIds=2001&userIds=2002&userIds=2003&appId=A2009"
    );
    Recipe::from_json(recipe.to_json().as_bytes(), &origin(Variant::A)).unwrap();
}
