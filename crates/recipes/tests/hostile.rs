//! Outside data in any shape: a HAR, a recipe file, a recorded body or answer. Reading and
//! learning never panic, and whatever is learned reads back as a valid recipe and fills in.

mod common;

use common::*;
use gopay_miniapp_recipes::{
    dry_run, learn_step, parse_har, prepare, Context, Feature, Literals, Recipe,
};
use proptest::prelude::*;
use serde_json::{json, Value};
use time::OffsetDateTime;

/// JSON values of the kinds a console sends, with the step's values and look-alikes among the
/// scalars so that matching, composites and literals are all reached.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(json!("A100")),
        Just(json!("R555")),
        Just(json!("1001")),
        Just(json!(1001)),
        Just(json!("1001;1002")),
        Just(json!(["1001", "1002"])),
        Just(json!(10)),
        Just(json!("10")),
        Just(json!("/apps/A100/x")),
        Just(json!(CANARY_CSRF)),
        Just(json!(null)),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_]{1,8}|token|csrf|\\PC{1,4}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn no_session(name: &str) -> Option<String> {
    (name == "XSRF-TOKEN").then(|| CANARY_CSRF.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_bytes_as_a_har_or_a_recipe_are_read_or_refused(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_har(&bytes);
        let _ = Recipe::from_json(&bytes, &origin(Variant::A));
    }

    #[test]
    fn whatever_is_learned_reads_back_and_fills_in(
        path in "(/[a-zA-Z0-9%._~-]{0,6}){1,4}",
        query in prop::collection::vec(("[a-z_]{1,6}", "[ -~]{0,10}"), 0..3),
        body in json_value(),
        answer in json_value(),
        post in any::<bool>(),
    ) {
        let recorded = recorded_values();
        let mut har = Har::new();
        let query: Vec<String> = query.iter().map(|(k, v)| {
            format!("{k}={}", url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>())
        }).collect();
        let path_and_query = format!("{path}?appId=A100&{}", query.join("&"));
        har.add(
            Variant::B,
            if post { "POST" } else { "PUT" },
            &path_and_query,
            Some(body),
            answer,
        );
        let learned = learn_step(
            Feature::Whitelist,
            &har.recorded(),
            &origin(Variant::B),
            &recorded,
            &options(Literals::Confirm),
        );
        if let Ok(learned) = learned {
            let text = learned.recipe.to_json();
            assert_no_canary("a recipe", &text);
            assert_no_canary("a recipe shown", &learned.to_string());
            let read = Recipe::from_json(text.as_bytes(), &origin(Variant::B))
                .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(&read, &learned.recipe);
            let values = new_values();
            let ctx = Context {
                values: &values,
                cookie: &no_session,
                bx_v: "2.5.36",
                now: OffsetDateTime::UNIX_EPOCH,
            };
            for shown in dry_run(&learned.recipe, &ctx).into_iter().flatten() {
                assert_no_canary("a dry run", &shown.to_string());
            }
            if let Ok(prepared) = prepare(&learned.recipe, 0, &ctx, &[], None) {
                assert_no_canary("a prepared request", &format!("{prepared:?}"));
                prop_assert!(prepared.path_and_query.starts_with('/'));
            }
        }
    }
}
