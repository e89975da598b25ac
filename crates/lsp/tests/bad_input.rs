//! The bad-input suite: malformed and hostile bytes, each answered or ignored, and after
//! each one the sidecar still answers `miniapp.status` (so it neither crashed, hung, nor lost
//! its place in the stream).

mod support;

use gopay_miniapp_lsp::Options;
use serde_json::{json, Value};
use support::*;

enum Expect {
    /// An error response with this code (id given or null).
    Error(i64),
    /// No response at all.
    Nothing,
}

fn raw(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn cases() -> Vec<(&'static str, Vec<u8>, Expect)> {
    let mut body = br#"{"jsonrpc":"2.0","id":1,"method":"x","params":{"pad":""#.to_vec();
    body.resize(17 * 1024 * 1024, b'a');
    body.extend_from_slice(br#""}}"#);
    let mut huge = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    huge.extend_from_slice(&body);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let long_method = format!(
        r#"{{"jsonrpc":"2.0","id":901,"method":"{}"}}"#,
        "m".repeat(1 << 20)
    );
    vec![
        (
            "invalid JSON",
            frame(r#"{"jsonrpc":"#),
            Expect::Error(-32700),
        ),
        (
            "not JSON at all",
            frame("hello world"),
            Expect::Error(-32700),
        ),
        (
            "invalid UTF-8",
            {
                let mut v = b"Content-Length: 4\r\n\r\n".to_vec();
                v.extend_from_slice(&[0xff, 0xfe, 0x00, 0x80]);
                v
            },
            Expect::Error(-32700),
        ),
        (
            "empty body",
            raw("Content-Length: 0\r\n\r\n"),
            Expect::Error(-32700),
        ),
        (
            "no Content-Length",
            raw("Content-Type: application/json\r\n\r\n{}"),
            Expect::Error(-32700),
        ),
        (
            "Content-Length not a number",
            raw("Content-Length: twelve\r\n\r\n{}"),
            Expect::Error(-32700),
        ),
        (
            "negative Content-Length",
            raw("Content-Length: -5\r\n\r\n{}"),
            Expect::Error(-32700),
        ),
        (
            "two different Content-Lengths",
            raw("Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}"),
            Expect::Error(-32700),
        ),
        (
            "header line without a colon",
            raw("Content-Length 2\r\n\r\n{}"),
            Expect::Error(-32700),
        ),
        (
            "binary garbage before a header",
            b"\x00\x01\x02\xff garbage".to_vec(),
            Expect::Error(-32700),
        ),
        (
            "header block over 8 KiB",
            {
                let mut v = b"X-Pad: ".to_vec();
                v.resize(9000, b'p');
                v
            },
            Expect::Error(-32700),
        ),
        (
            "Content-Length too small (cuts the JSON)",
            raw("Content-Length: 10\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"x\"}"),
            Expect::Error(-32700),
        ),
        (
            "Content-Length too large (truncated message)",
            raw("Content-Length: 300\r\n\r\n{\"jsonrpc\":\"2.0\"}"),
            Expect::Error(-32700),
        ),
        (
            "declared 1 GB, sent 2 bytes",
            raw("Content-Length: 1000000000\r\n\r\n{}"),
            Expect::Error(-32600),
        ),
        ("a 17 MiB message", huge, Expect::Error(-32600)),
        (
            "JSON nested 100000 deep",
            frame(&deep),
            Expect::Error(-32700),
        ),
        (
            "batch array",
            frame(
                r#"[{"jsonrpc":"2.0","id":1,"method":"shutdown"},{"jsonrpc":"2.0","method":"exit"}]"#,
            ),
            Expect::Error(-32600),
        ),
        ("empty array", frame("[]"), Expect::Error(-32600)),
        ("a number", frame("42"), Expect::Error(-32600)),
        ("null", frame("null"), Expect::Error(-32600)),
        (
            "jsonrpc 1.0",
            frame(r#"{"jsonrpc":"1.0","id":801,"method":"workspace/executeCommand"}"#),
            Expect::Error(-32600),
        ),
        (
            "no jsonrpc field",
            frame(r#"{"id":802,"method":"shutdown"}"#),
            Expect::Error(-32600),
        ),
        (
            "null id",
            frame(
                r#"{"jsonrpc":"2.0","id":null,"method":"workspace/executeCommand","params":{"command":"miniapp.status"}}"#,
            ),
            Expect::Error(-32600),
        ),
        (
            "object id",
            frame(r#"{"jsonrpc":"2.0","id":{"a":1},"method":"shutdown"}"#),
            Expect::Error(-32600),
        ),
        (
            "fractional id",
            frame(r#"{"jsonrpc":"2.0","id":1.5,"method":"shutdown"}"#),
            Expect::Error(-32600),
        ),
        (
            "id beyond i64",
            frame(r#"{"jsonrpc":"2.0","id":99999999999999999999,"method":"shutdown"}"#),
            Expect::Error(-32600),
        ),
        (
            "method is a number",
            frame(r#"{"jsonrpc":"2.0","id":803,"method":5}"#),
            Expect::Error(-32600),
        ),
        (
            "neither method nor result",
            frame(r#"{"jsonrpc":"2.0","id":804}"#),
            Expect::Error(-32600),
        ),
        (
            "params is a string",
            frame(
                r#"{"jsonrpc":"2.0","id":805,"method":"workspace/executeCommand","params":"miniapp.status"}"#,
            ),
            Expect::Error(-32602),
        ),
        (
            "unknown method",
            frame(r#"{"jsonrpc":"2.0","id":806,"method":"miniapp/doesNotExist","params":{}}"#),
            Expect::Error(-32601),
        ),
        (
            "unknown notification",
            frame(r#"{"jsonrpc":"2.0","method":"miniapp/whatever","params":{}}"#),
            Expect::Nothing,
        ),
        (
            "a 1 MiB method name",
            frame(&long_method),
            Expect::Error(-32601),
        ),
        (
            "executeCommand with a wrong shape",
            frame(
                r#"{"jsonrpc":"2.0","id":807,"method":"workspace/executeCommand","params":{"command":5,"arguments":{}}}"#,
            ),
            Expect::Error(-32602),
        ),
        (
            "executeCommand with an unknown command",
            frame(
                r#"{"jsonrpc":"2.0","id":808,"method":"workspace/executeCommand","params":{"command":"rm -rf /"}}"#,
            ),
            Expect::Error(-32602),
        ),
        (
            "executeCommand with a string argument",
            frame(
                r#"{"jsonrpc":"2.0","id":809,"method":"workspace/executeCommand","params":{"command":"miniapp.status","arguments":["x"]}}"#,
            ),
            Expect::Error(-32602),
        ),
        (
            "a response nobody asked for",
            frame(r#"{"jsonrpc":"2.0","id":4242,"result":{"title":"Yes"}}"#),
            Expect::Nothing,
        ),
        (
            "a malformed error response",
            frame(r#"{"jsonrpc":"2.0","id":4243,"error":{"code":"x"}}"#),
            Expect::Nothing,
        ),
        (
            "result and error together",
            frame(r#"{"jsonrpc":"2.0","id":4244,"result":1,"error":{"code":1,"message":"m"}}"#),
            Expect::Nothing,
        ),
        (
            "$/cancelRequest for an unknown id",
            frame(r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":31337}}"#),
            Expect::Nothing,
        ),
        (
            "$/cancelRequest with bad params",
            frame(r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":[1]}}"#),
            Expect::Nothing,
        ),
        (
            "workDoneProgress/cancel for an unknown token",
            frame(
                r#"{"jsonrpc":"2.0","method":"window/workDoneProgress/cancel","params":{"token":"nope"}}"#,
            ),
            Expect::Nothing,
        ),
        (
            "a second initialize",
            frame(
                r#"{"jsonrpc":"2.0","id":810,"method":"initialize","params":{"capabilities":{}}}"#,
            ),
            Expect::Error(-32600),
        ),
        (
            "initialized again with garbage params",
            frame(r#"{"jsonrpc":"2.0","method":"initialized","params":[1,2,3]}"#),
            Expect::Nothing,
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_message_is_answered_or_ignored_and_status_still_works() {
    let home = tempfile::tempdir().unwrap();
    let (_d, project) = project();
    let client = TestClient::start(
        context(home.path(), &project, "http://127.0.0.1:9"),
        Options::default(),
        scripted(vec![]),
    );
    client
        .initialize(&project, full_window(), Value::Null)
        .await;
    let cases = cases();
    assert!(cases.len() >= 20);
    for (name, bytes, expect) in cases {
        eprintln!("bad input: {name}");
        client.clear_log();
        client.send_raw(&bytes).await;
        let status = client.execute("miniapp.status", Value::Null).await;
        let status = status.unwrap_or_else(|e| panic!("after `{name}`, status failed: {e}"));
        assert_eq!(status["loggedIn"], false, "after `{name}`");
        let errors: Vec<Value> = client
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.get("error").is_some())
            .cloned()
            .collect();
        match expect {
            Expect::Error(code) => assert!(
                errors.iter().any(|e| e["error"]["code"] == code),
                "`{name}`: expected an error {code}, got {errors:#?}"
            ),
            Expect::Nothing => assert!(
                errors.is_empty(),
                "`{name}`: expected no answer, got {errors:#?}"
            ),
        }
        for e in &errors {
            assert!(e["error"]["message"].is_string(), "`{name}`: {e}");
        }
    }
    // Still a working server: a normal request and a clean exit.
    let result = client.request("shutdown", json!(null)).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(client.close().await, 0);
}

/// The whitelist's IDs are parsed by the one parser, for the input box as for the step: the
/// same separators (`;` included), repeats counted, bad IDs refused by name, offline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_ids_are_checked_by_the_one_parser_without_a_portal() {
    let home = tempfile::tempdir().unwrap();
    let (_d, project) = project();
    let client = TestClient::start(
        context(home.path(), &project, "http://127.0.0.1:9"),
        Options::default(),
        scripted(vec![]),
    );
    client
        .initialize(&project, full_window(), Value::Null)
        .await;
    let parsed = client
        .execute(
            "miniapp.checkUserIds",
            serde_json::json!({"users": "u1, u2;u3\nu1 # a comment"}),
        )
        .await
        .unwrap();
    assert_eq!(
        parsed,
        serde_json::json!({"ids": ["u1", "u2", "u3"], "duplicates": 1})
    );
    let listed = client
        .execute(
            "miniapp.checkUserIds",
            serde_json::json!({"users": ["a;b", "c"]}),
        )
        .await
        .unwrap();
    assert_eq!(listed["ids"], serde_json::json!(["a", "b", "c"]));
    let refused = client
        .execute(
            "miniapp.checkUserIds",
            serde_json::json!({"users": "u1, bad id!"}),
        )
        .await
        .unwrap_err();
    let message = refused["message"].as_str().unwrap();
    assert!(message.contains("\"id!\""), "{refused}");
    assert_eq!(refused["data"]["code"], "invalid", "{refused}");
    let empty = client
        .execute("miniapp.checkUserIds", serde_json::json!({"users": " , "}))
        .await
        .unwrap_err();
    assert!(
        empty["message"].as_str().unwrap().contains("empty"),
        "{empty}"
    );
}
