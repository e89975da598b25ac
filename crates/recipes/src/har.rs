//! What the learner reads: recorded requests, from a HAR 1.2 file the user saved from their own
//! browser (only the fields needed, read within `guard::limits::HAR_FILE_MAX`) or from the live
//! recorder (DevTools Network), which builds [`RecordedRequest`]s itself.
//!
//! A recorded request holds the session (cookies, `Authorization`, CSRF values): its `Debug`
//! shows names only, never a header's, a cookie's, a query's or a body's value.

use std::fmt;

use base64::Engine;
use gopay_miniapp_guard::text::Shown;
use serde::Deserialize;
use url::Url;

/// Entries read from one HAR file at most (a console's few minutes are some hundreds).
pub const MAX_ENTRIES: usize = 20_000;

/// One request the portal's own page made, with its answer when there was one.
#[derive(Clone, PartialEq)]
pub struct RecordedRequest {
    /// As recorded (`POST`); anything outside the allowed set is never learned.
    pub method: String,
    pub url: Url,
    /// Every header as recorded (the session's included: the learner drops them).
    pub headers: Vec<(String, String)>,
    /// The cookies sent (from the HAR's `cookies` and the `Cookie` header).
    pub cookies: Vec<(String, String)>,
    pub body: Option<RecordedBody>,
    /// When it was sent (Unix milliseconds), to recognise a cache-buster.
    pub started_ms: Option<i64>,
    pub response: Option<RecordedResponse>,
}

#[derive(Clone, PartialEq)]
pub struct RecordedBody {
    pub mime_type: String,
    pub text: String,
}

#[derive(Clone, PartialEq)]
pub struct RecordedResponse {
    pub status: u16,
    pub mime_type: String,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// A request without headers, cookies, body or answer (the live recorder fills them in).
    pub fn new(method: &str, url: Url) -> Self {
        RecordedRequest {
            method: method.to_string(),
            url,
            headers: Vec::new(),
            cookies: Vec::new(),
            body: None,
            started_ms: None,
            response: None,
        }
    }

    /// The value of header `name` (case-insensitive), the first one.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The cookies sent, from `cookies` and every `Cookie` header, each once.
    pub fn all_cookies(&self) -> Vec<(String, String)> {
        let mut all = self.cookies.clone();
        for (name, value) in &self.headers {
            if name.eq_ignore_ascii_case("cookie") {
                for pair in value.split(';') {
                    if let Some((n, v)) = pair.trim().split_once('=') {
                        let entry = (n.trim().to_string(), v.trim().to_string());
                        if !all.contains(&entry) {
                            all.push(entry);
                        }
                    }
                }
            }
        }
        all
    }

    /// The answer's JSON, when it has one and it parses.
    pub fn answer_json(&self) -> Option<serde_json::Value> {
        let response = self.response.as_ref()?;
        serde_json::from_slice(&response.body).ok()
    }
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names only: values may be the session's.
        let mut url = self.url.clone();
        url.set_query(None);
        url.set_fragment(None);
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let query: Vec<String> = self
            .url
            .query_pairs()
            .map(|(n, _)| n.into_owned())
            .collect();
        f.debug_struct("RecordedRequest")
            .field("method", &Shown(&self.method))
            .field("url", &Shown(url.as_str()))
            .field("query_names", &query)
            .field(
                "header_names",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field(
                "cookie_names",
                &self.cookies.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field(
                "body",
                &self.body.as_ref().map(|b| (&b.mime_type, b.text.len())),
            )
            .field(
                "response",
                &self
                    .response
                    .as_ref()
                    .map(|r| (r.status, &r.mime_type, r.body.len())),
            )
            .finish()
    }
}

impl fmt::Debug for RecordedBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RecordedBody({}, {} bytes)",
            Shown(&self.mime_type),
            self.text.len()
        )
    }
}

impl fmt::Debug for RecordedResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RecordedResponse({}, {}, {} bytes)",
            self.status,
            Shown(&self.mime_type),
            self.body.len()
        )
    }
}

/// Why a HAR file was not read.
#[derive(Debug, thiserror::Error)]
pub enum HarError {
    #[error(transparent)]
    Read(#[from] gopay_miniapp_guard::limits::FileReadError),
    #[error(
        "the file is not a HAR 1.2 file (the JSON a browser saves with \"Save all as HAR\"): {0}"
    )]
    NotHar(String),
    #[error(
        "the HAR file has more than {MAX_ENTRIES} requests; record only the step you want to teach"
    )]
    TooManyEntries,
}

// Only the fields the learner needs: everything else of a HAR is skipped unread.
#[derive(Deserialize)]
struct Har {
    log: Log,
}

#[derive(Deserialize)]
struct Log {
    #[serde(default)]
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(default)]
    started_date_time: Option<String>,
    request: HarRequest,
    #[serde(default)]
    response: Option<HarResponse>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HarRequest {
    method: String,
    url: String,
    #[serde(default)]
    headers: Vec<NameValue>,
    #[serde(default)]
    cookies: Vec<NameValue>,
    #[serde(default)]
    post_data: Option<PostData>,
}

#[derive(Deserialize)]
struct NameValue {
    name: String,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostData {
    #[serde(default)]
    mime_type: String,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct HarResponse {
    #[serde(default)]
    status: i64,
    #[serde(default)]
    content: Option<Content>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Content {
    #[serde(default)]
    mime_type: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
}

/// Reads a HAR file within `guard::limits::HAR_FILE_MAX`.
pub fn read_har_file(path: &std::path::Path) -> Result<Vec<RecordedRequest>, HarError> {
    let bytes =
        gopay_miniapp_guard::limits::read_file(path, gopay_miniapp_guard::limits::HAR_FILE_MAX)?;
    parse_har(&bytes)
}

/// The recorded requests of a HAR file's bytes, in the order they were made. Entries whose
/// URL is not http(s) (`data:`, `chrome-extension:`) are left out.
pub fn parse_har(bytes: &[u8]) -> Result<Vec<RecordedRequest>, HarError> {
    // Some browsers and editors save a byte order mark first; JSON has none.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let har: Har = serde_json::from_slice(bytes)
        .map_err(|e| HarError::NotHar(Shown(&e.to_string()).to_string()))?;
    if har.log.entries.len() > MAX_ENTRIES {
        return Err(HarError::TooManyEntries);
    }
    let mut out = Vec::new();
    for entry in har.log.entries {
        let Ok(url) = Url::parse(&entry.request.url) else {
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        let started_ms = entry.started_date_time.as_deref().and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .ok()
                .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        });
        let response = entry.response.and_then(|r| {
            // A HAR records a request that got no answer with status 0.
            let status = u16::try_from(r.status).ok().filter(|s| *s > 0)?;
            let content = r.content.unwrap_or(Content {
                mime_type: String::new(),
                text: None,
                encoding: None,
            });
            let text = content.text.unwrap_or_default();
            let body = if content.encoding.as_deref() == Some("base64") {
                base64::engine::general_purpose::STANDARD
                    .decode(text.as_bytes())
                    .unwrap_or_default()
            } else {
                text.into_bytes()
            };
            Some(RecordedResponse {
                status,
                mime_type: content.mime_type,
                body,
            })
        });
        out.push(RecordedRequest {
            method: entry.request.method,
            url,
            headers: entry
                .request
                .headers
                .into_iter()
                .map(|h| (h.name, h.value))
                .collect(),
            cookies: entry
                .request
                .cookies
                .into_iter()
                .map(|c| (c.name, c.value))
                .collect(),
            body: entry.request.post_data.and_then(|p| {
                p.text.map(|text| RecordedBody {
                    mime_type: p.mime_type,
                    text,
                })
            }),
            started_ms,
            response,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_names_never_values() {
        let mut request = RecordedRequest::new(
            "POST",
            Url::parse("https://user:pw-SECRET@console.example/rest/x?token=q-SECRET#f").unwrap(),
        );
        request.headers = vec![
            ("Cookie".into(), "SESSION=c-SECRET".into()),
            ("X-XSRF-TOKEN".into(), "h-SECRET".into()),
        ];
        request.cookies = vec![("SESSION".into(), "c-SECRET".into())];
        request.body = Some(RecordedBody {
            mime_type: "application/json".into(),
            text: r#"{"password": "b-SECRET"}"#.into(),
        });
        request.response = Some(RecordedResponse {
            status: 200,
            mime_type: "application/json".into(),
            body: br#"{"token": "r-SECRET"}"#.to_vec(),
        });
        let shown = format!("{request:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(
            shown.contains("X-XSRF-TOKEN") && shown.contains("token"),
            "{shown}"
        );
    }

    #[test]
    fn cookies_come_from_the_har_list_and_the_cookie_header_once() {
        let mut request = RecordedRequest::new("GET", Url::parse("http://127.0.0.1/").unwrap());
        request.cookies = vec![("a".into(), "1".into())];
        request.headers = vec![("cookie".into(), "a=1; b=two=2".into())];
        assert_eq!(
            request.all_cookies(),
            [("a".into(), "1".into()), ("b".into(), "two=2".into())]
        );
        assert_eq!(request.header("COOKIE"), Some("a=1; b=two=2"));
    }

    #[test]
    fn a_har_keeps_only_http_entries_and_decodes_base64_answers() {
        let har = serde_json::json!({"log": {"entries": [
            {"startedDateTime": "2025-12-05T07:03:20.123+07:00",
             "request": {"method": "GET", "url": "http://127.0.0.1:8780/q"},
             "response": {"status": 200, "content": {"mimeType": "image/png", "text": "iVBORw==", "encoding": "base64"}}},
            {"request": {"method": "GET", "url": "chrome-extension://abc/x.js"}},
            {"request": {"method": "GET", "url": "http://127.0.0.1:8780/blocked"}, "response": {"status": 0}}
        ]}});
        let recorded = parse_har(har.to_string().as_bytes()).unwrap();
        assert_eq!(recorded.len(), 2);
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), har.to_string().as_bytes()].concat();
        assert_eq!(parse_har(&with_bom).unwrap(), recorded);
        assert_eq!(recorded[0].started_ms, Some(1_764_893_000_123));
        assert_eq!(recorded[0].response.as_ref().unwrap().body, b"\x89PNG");
        // No answer (status 0) is no response.
        assert!(recorded[1].response.is_none());
    }
}
