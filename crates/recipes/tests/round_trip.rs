//! Learn then replay, for many values: whatever the ids, user IDs and ratio recorded, the
//! recipe learned from either variant sends exactly what the console's page sends for any
//! other values.

mod common;

use common::*;
use gopay_miniapp_recipes::{check_answer, prepare, Context, Feature, Values};
use proptest::prelude::*;
use serde_json::Value;
use time::OffsetDateTime;

fn step_values() -> impl Strategy<Value = Values> {
    (
        "A[0-9]{3,10}",
        "R[0-9]{3,10}",
        // Never 88…: B's rollback ticket numbers are 8800…
        prop::collection::btree_set("[1-7][0-9]{3,7}", 1..5),
        1u32..=100,
    )
        .prop_map(|(app, release, users, ratio)| {
            let users: Vec<&str> = users.iter().map(String::as_str).collect();
            values(&app, &release, &users, &ratio.to_string())
        })
}

fn no_session(name: &str) -> Option<String> {
    (name == "XSRF-TOKEN").then(|| CANARY_CSRF.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn what_is_learned_replays_as_the_console_sends(recorded in step_values(), other in step_values()) {
        for variant in [Variant::A, Variant::B] {
            for feature in [Feature::Whitelist, Feature::Grayscale, Feature::Rollback] {
                // One user ID recorded shows no separator: B's whitelist then replays one only.
                let joined = variant == Variant::B && feature == Feature::Whitelist;
                let ids = |v: &Values| v.user_ids.as_ref().map_or(0, Vec::len);
                if joined && ids(&recorded) == 1 && ids(&other) > 1 {
                    continue;
                }
                let har = step_har(variant, feature, &recorded, "BETA");
                let learned = learn_from(feature, &har, variant, &recorded, &yes())
                    .map_err(|e| TestCaseError::fail(format!("{variant:?} {feature}: {e}")))?;
                let ctx = Context {
                    values: &other,
                    cookie: &no_session,
                    bx_v: "2.5.36",
                    now: OffsetDateTime::from_unix_timestamp_nanos(i128::from(T_MS) * 1_000_000).unwrap(),
                };
                let mut answers: Vec<Value> = Vec::new();
                for (index, (method, path, body, answer)) in step_requests(variant, feature, &other).into_iter().enumerate() {
                    let prepared = prepare(&learned.recipe, index, &ctx, &answers, None)
                        .map_err(|e| TestCaseError::fail(format!("{variant:?} {feature}: {e}")))?;
                    prop_assert_eq!(prepared.method.as_str(), method.as_str());
                    prop_assert_eq!(&prepared.path_and_query, &path);
                    prop_assert_eq!(&prepared.body, &body);
                    answers.push(check_answer(&learned.recipe, index, 200, answer.to_string().as_bytes()).unwrap());
                }
            }
        }
    }
}
