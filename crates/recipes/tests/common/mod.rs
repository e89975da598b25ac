//! Made-up console traffic in two variants, as a browser's HAR records it (issue #22: they
//! differ in paths, field names and list item paths; user IDs as an array vs `;`-joined; the
//! ratio as a number vs a string; a CSRF header echoed from a cookie and a `_=<ms>` query
//! parameter in B; a two-request step chained through an id), with canary secrets planted in
//! the cookie, `Authorization`, the CSRF header, the query and the body.

#![allow(dead_code)]

use gopay_miniapp_recipes::{
    learn_list, learn_step, Feature, Learned, ListExpect, Literals, Options, RecordedRequest,
    Refusal, Values,
};
use serde_json::{json, Value};
use url::Url;

pub const CANARY_COOKIE: &str = "CANARYcookie0001secretsecret";
pub const CANARY_AUTH: &str = "CANARYauth0002secretsecret";
pub const CANARY_CSRF: &str = "CANARYcsrf0003secretsecret";

/// Every planted secret: none may show anywhere.
pub const CANARIES: [&str; 3] = [CANARY_COOKIE, CANARY_AUTH, CANARY_CSRF];

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Variant {
    A,
    B,
}

pub fn origin(variant: Variant) -> Url {
    match variant {
        Variant::A => Url::parse("http://127.0.0.1:8780").unwrap(),
        Variant::B => Url::parse("https://console.example.test").unwrap(),
    }
}

/// The step's values as the user gives them.
pub fn values(app: &str, release: &str, users: &[&str], ratio: &str) -> Values {
    Values {
        space_id: Some("S7".into()),
        app_id: Some(app.into()),
        channel_code: Some("GOPAY_STAGING".into()),
        version: Some("1.0.2".into()),
        ratio: Some(ratio.into()),
        release_notes: None,
        release_id: Some(release.into()),
        version_id: None,
        user_ids: Some(users.iter().map(|u| u.to_string()).collect()),
    }
}

/// The values the test recordings are made with.
pub fn recorded_values() -> Values {
    values("A100", "R555", &["1001", "1002"], "10")
}

/// Other values, for replays.
pub fn new_values() -> Values {
    values("A2009", "R77", &["2001", "2002", "2003"], "25")
}

/// The time the recording was made (Unix ms) and its HAR form.
pub const T_MS: i64 = 1_764_893_000_123;
const T_TEXT: &str = "2025-12-05T00:03:20.123Z";

pub struct Har {
    entries: Vec<Value>,
}

impl Har {
    pub fn new() -> Self {
        Har {
            entries: Vec::new(),
        }
    }

    /// One entry with the session's and the browser's headers of `variant`.
    pub fn add(
        &mut self,
        variant: Variant,
        method: &str,
        path_and_query: &str,
        body: Option<Value>,
        answer: Value,
    ) -> &mut Self {
        self.add_to(
            &origin(variant),
            variant,
            method,
            path_and_query,
            body,
            200,
            answer,
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub fn add_to(
        &mut self,
        origin: &Url,
        variant: Variant,
        method: &str,
        path_and_query: &str,
        body: Option<Value>,
        status: u16,
        answer: Value,
    ) -> &mut Self {
        let base = origin.as_str().trim_end_matches('/');
        let mut headers = vec![
            json!({"name": "Accept", "value": "application/json, text/plain, */*"}),
            json!({"name": "User-Agent", "value": "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120"}),
            json!({"name": "Origin", "value": base}),
            json!({"name": "Referer", "value": format!("{base}/")}),
            json!({"name": "Sec-Fetch-Site", "value": "same-origin"}),
            json!({"name": "Bx-V", "value": "2.5.36"}),
            json!({"name": "Authorization", "value": format!("Bearer {CANARY_AUTH}")}),
        ];
        let cookies = match variant {
            Variant::A => {
                headers.push(json!({"name": "Cookie", "value": format!("SA_CONSOLE_SESSION={CANARY_COOKIE}; lang=en")}));
                vec![
                    json!({"name": "SA_CONSOLE_SESSION", "value": CANARY_COOKIE}),
                    json!({"name": "lang", "value": "en"}),
                ]
            }
            Variant::B => {
                headers.push(json!({"name": "Cookie", "value": format!("SESSION={CANARY_COOKIE}; XSRF-TOKEN={CANARY_CSRF}")}));
                headers.push(json!({"name": "X-XSRF-TOKEN", "value": CANARY_CSRF}));
                vec![
                    json!({"name": "SESSION", "value": CANARY_COOKIE}),
                    json!({"name": "XSRF-TOKEN", "value": CANARY_CSRF}),
                ]
            }
        };
        let mut request = json!({
            "method": method,
            "url": format!("{base}{path_and_query}"),
            "httpVersion": "HTTP/1.1",
            "headers": headers,
            "cookies": cookies,
            "queryString": [],
            "headersSize": -1,
            "bodySize": -1,
        });
        if let Some(body) = body {
            headers_push(
                &mut request,
                "Content-Type",
                "application/json;charset=UTF-8",
            );
            request["postData"] =
                json!({"mimeType": "application/json;charset=UTF-8", "text": body.to_string()});
        }
        self.entries.push(json!({
            "startedDateTime": T_TEXT,
            "time": 12.5,
            "request": request,
            "response": {
                "status": status,
                "statusText": "OK",
                "httpVersion": "HTTP/1.1",
                "headers": [{"name": "Content-Type", "value": "application/json"}],
                "cookies": [],
                "content": {"size": 10, "mimeType": "application/json", "text": answer.to_string()},
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": -1,
            },
            "cache": {},
            "timings": {"send": 0, "wait": 10, "receive": 2},
        }));
        self
    }

    /// Noise every console page makes: its scripts, a tracker on another site.
    pub fn noise(&mut self, variant: Variant) -> &mut Self {
        self.entries.push(json!({
            "startedDateTime": T_TEXT,
            "request": {"method": "GET", "url": format!("{}assets/app.js", origin(variant)), "headers": [], "cookies": []},
            "response": {"status": 200, "content": {"mimeType": "application/javascript", "text": "console.log(1)"}},
        }));
        self.entries.push(json!({
            "startedDateTime": T_TEXT,
            "request": {"method": "POST", "url": "https://tracker.example.net/collect", "headers": [], "cookies": [],
                        "postData": {"mimeType": "text/plain", "text": "event=click"}},
            "response": {"status": 204, "content": {"mimeType": "", "text": ""}},
        }));
        self.entries.push(json!({
            "startedDateTime": T_TEXT,
            "request": {"method": "GET", "url": "data:image/png;base64,AAAA", "headers": [], "cookies": []},
            "response": {"status": 200, "content": {"mimeType": "image/png", "text": "AAAA", "encoding": "base64"}},
        }));
        self
    }

    pub fn json(&self) -> Value {
        json!({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "pages": [], "entries": self.entries}})
    }

    pub fn recorded(&self) -> Vec<RecordedRequest> {
        gopay_miniapp_recipes::parse_har(self.json().to_string().as_bytes()).unwrap()
    }
}

fn headers_push(request: &mut Value, name: &str, value: &str) {
    request["headers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": name, "value": value}));
}

fn ok(data: Value) -> Value {
    json!({"success": true, "errorCode": null, "errorMsg": null, "traceId": "t-1", "data": data})
}

/// What the console's page sends for `feature` with `v` in `variant` (the step's requests
/// only, without noise): method, path and query, JSON body. B's cache-buster is `T_MS`.
pub fn step_requests(
    variant: Variant,
    feature: Feature,
    v: &Values,
) -> Vec<(String, String, Option<Value>, Value)> {
    let app = v.app_id.clone().unwrap();
    let release = v.release_id.clone().unwrap();
    let users = v.user_ids.clone().unwrap();
    let ratio = v.ratio.clone().unwrap();
    let version = v.version.clone().unwrap();
    let m = |s: &str| s.to_string();
    match (variant, feature) {
        (Variant::A, Feature::Whitelist) => vec![(
            m("POST"),
            m("/rest/release/whitelist/save"),
            Some(
                json!({"appId": app, "releaseId": release, "userIds": users, "enable": true, "type": "USER_ID"}),
            ),
            ok(Value::Null),
        )],
        (Variant::B, Feature::Whitelist) => vec![(
            m("POST"),
            format!("/api/v2/apps/{app}/releases/{release}/testers?_={T_MS}"),
            Some(json!({"testers": users.join(";"), "mode": "append"})),
            json!({"code": 0, "message": "ok", "result": {}}),
        )],
        (Variant::A, Feature::Grayscale) => vec![(
            m("POST"),
            m("/rest/release/gray/start"),
            Some(json!({"releaseId": release, "grayRatio": ratio.parse::<u64>().unwrap()})),
            ok(Value::Null),
        )],
        (Variant::B, Feature::Grayscale) => vec![(
            m("PUT"),
            format!("/api/v2/apps/{app}/releases/{release}/gray?_={T_MS}&csrfToken={CANARY_CSRF}"),
            Some(json!({"percent": ratio, "options": {"notify": false}, "xsrf": CANARY_CSRF})),
            json!({"code": 0, "message": "ok", "result": {"percent": ratio}}),
        )],
        // The two-request step chained through an id: the first answer's id is the second's.
        (Variant::A, Feature::Rollback) => vec![
            (
                m("POST"),
                m("/rest/release/rollback/create"),
                Some(json!({"appId": app, "version": version})),
                ok(json!({"rollbackId": format!("RB-{release}-77")})),
            ),
            (
                m("POST"),
                m("/rest/release/rollback/confirm"),
                Some(json!({"rollbackId": format!("RB-{release}-77"), "confirm": true})),
                ok(Value::Null),
            ),
        ],
        (Variant::B, Feature::Rollback) => vec![
            (
                m("POST"),
                format!("/api/v2/apps/{app}/rollbacks?_={T_MS}"),
                Some(json!({"targetVersion": version})),
                json!({"code": 0, "message": "ok", "result": {"ticket": {"no": 880011 + release.len() as u64}}}),
            ),
            (
                m("POST"),
                format!(
                    "/api/v2/rollbacks/{}/submit?_={T_MS}",
                    880011 + release.len() as u64
                ),
                None,
                json!({"code": 0, "message": "ok", "result": {}}),
            ),
        ],
        other => panic!("no traffic for {other:?}"),
    }
}

/// A HAR of the step: noise, the release query before, the step, the release query after
/// (showing `status_after`).
pub fn step_har(variant: Variant, feature: Feature, v: &Values, status_after: &str) -> Har {
    let mut har = Har::new();
    har.noise(variant);
    let app = v.app_id.clone().unwrap();
    let release = v.release_id.clone().unwrap();
    let query = |status: &str| match variant {
        Variant::A => (
            format!("/rest/release/list?appId={app}&pageNo=1&pageSize=10"),
            ok(
                json!({"total": 1, "list": [{"id": release, "version": "1.0.2", "versionStatus": status}]}),
            ),
        ),
        Variant::B => (
            format!("/api/v2/apps/{app}/releases?_={T_MS}"),
            json!({"code": 0, "result": {"releases": [{"releaseNo": release, "state": status}]}}),
        ),
    };
    let (path, answer) = query("PASSED");
    har.add(variant, "GET", &path, None, answer);
    for (method, path, body, answer) in step_requests(variant, feature, v) {
        har.add(variant, &method, &path, body, answer);
    }
    let (path, answer) = query(status_after);
    har.add(variant, "GET", &path, None, answer);
    har
}

/// A HAR of a list page: A's spaces (string ids, `data.list`, pageNo/pageSize, a total), B's
/// (number ids, `result.items`, page/size, a hasMore flag).
pub fn spaces_har(variant: Variant) -> Har {
    let mut har = Har::new();
    har.noise(variant);
    match variant {
        Variant::A => har.add(
            variant,
            "GET",
            "/rest/space/list?pageNo=1&pageSize=2",
            None,
            ok(json!({"total": 3, "list": [
                {"spaceId": "S7", "spaceName": "Team Space", "role": "OWNER"},
                {"spaceId": "S8", "spaceName": "Other", "role": "MEMBER"}
            ]})),
        ),
        Variant::B => har.add(
            variant,
            "GET",
            &format!("/api/v2/spaces?page=0&size=50&_={T_MS}"),
            None,
            json!({"code": 0, "result": {"hasMore": false, "items": [
                {"id": 12, "title": "Team Space", "region": "ID"}
            ]}}),
        ),
    };
    har
}

/// Everything printed or stored must be free of every canary.
pub fn assert_no_canary(what: &str, text: &str) {
    for canary in CANARIES {
        assert!(
            !text.contains(canary),
            "{what} holds the planted secret {canary}:\n{text}"
        );
    }
    assert!(!text.contains("CANARY"), "{what} holds a canary:\n{text}");
}

impl Har {
    /// An entry whose answer is not JSON (an image), base64 in the HAR as browsers save it.
    pub fn add_image(
        &mut self,
        variant: Variant,
        method: &str,
        path_and_query: &str,
        image: &[u8],
    ) -> &mut Self {
        use base64::Engine;
        self.add(variant, method, path_and_query, None, Value::Null);
        let entry = self.entries.last_mut().unwrap();
        entry["response"]["content"] = json!({
            "size": image.len(),
            "mimeType": "image/png",
            "text": base64::engine::general_purpose::STANDARD.encode(image),
            "encoding": "base64",
        });
        self
    }
}

/// When the tests' recipes are learned.
pub fn learned_at() -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(1_764_893_400).unwrap()
}

pub fn options(literals: Literals) -> Options {
    Options::new(learned_at(), literals)
}

/// `--yes` without any accepted literal.
pub fn yes() -> Options {
    options(Literals::Yes {
        accepted: Vec::new(),
    })
}

/// Learns the step `feature` from `har` as recorded on `variant`'s portal.
pub fn learn_from(
    feature: Feature,
    har: &Har,
    variant: Variant,
    values: &Values,
    options: &Options,
) -> Result<Learned, Refusal> {
    learn_step(feature, &har.recorded(), &origin(variant), values, options)
}

/// Learns the spaces list from `recorded` on `variant`'s portal, expecting `id` (`name`).
pub fn learn_spaces(
    recorded: &[RecordedRequest],
    variant: Variant,
    id: &str,
    name: Option<&str>,
) -> Result<Learned, Refusal> {
    let expect = ListExpect {
        id: id.into(),
        name: name.map(str::to_string),
    };
    learn_list(
        Feature::Spaces,
        recorded,
        &origin(variant),
        &Values::default(),
        &expect,
        &yes(),
    )
}
