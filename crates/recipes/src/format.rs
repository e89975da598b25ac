//! The recipe format (`"format": 1`, documented in docs/recipes.md): serde types, the checks a
//! recipe read from disk passes (it is outside data: a project's recipe comes from git), and the
//! content hash the user confirms a project recipe by.
//!
//! A recipe holds no session value by construction: a session-derived value is a reference
//! ([`Slot::Cookie`]: "the current value of cookie NAME"), never the value.

use std::collections::BTreeMap;
use std::fmt;

use gopay_miniapp_guard::text::Shown;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use url::Url;

/// The only format version this crate reads and writes.
pub const FORMAT: u32 = 1;

/// Bounds of a recipe read from disk (besides its byte size, `guard::limits::RECIPE_FILE_MAX`).
pub const MAX_REQUESTS: usize = 8;
/// Query parameters and headers of one request, fields of one body.
pub const MAX_FIELDS: usize = 256;
/// Nesting of a body template.
pub const MAX_DEPTH: usize = 32;
/// Characters of one literal (a path segment, a query value, a header value, a body string),
/// of one name, of one status word.
pub const MAX_LITERAL_CHARS: usize = 4096;
pub const MAX_NAME_CHARS: usize = 256;

/// A console feature a recipe makes: a step of the release lifecycle, or a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    Whitelist,
    Grayscale,
    TemporaryCode,
    Rollback,
    Withdraw,
    Cancel,
    Spaces,
    Apps,
    TargetApps,
}

impl Feature {
    pub const ALL: [Feature; 9] = [
        Feature::Whitelist,
        Feature::Grayscale,
        Feature::TemporaryCode,
        Feature::Rollback,
        Feature::Withdraw,
        Feature::Cancel,
        Feature::Spaces,
        Feature::Apps,
        Feature::TargetApps,
    ];

    /// The name in recipes and file names (`temporary_code`).
    pub fn name(self) -> &'static str {
        match self {
            Feature::Whitelist => "whitelist",
            Feature::Grayscale => "grayscale",
            Feature::TemporaryCode => "temporary_code",
            Feature::Rollback => "rollback",
            Feature::Withdraw => "withdraw",
            Feature::Cancel => "cancel",
            Feature::Spaces => "spaces",
            Feature::Apps => "apps",
            Feature::TargetApps => "target_apps",
        }
    }

    /// A feature by name as a user types it (`temporary_code`, `temporary-code`, `target-apps`).
    pub fn parse(name: &str) -> Option<Feature> {
        let name = name.trim().to_ascii_lowercase().replace('-', "_");
        Feature::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The recipe's file name in a recipe folder (`temporary_code.json`).
    pub fn file_name(self) -> String {
        format!("{}.json", self.name())
    }

    /// Lists are learned from the GET whose answer holds the expected id; steps from the
    /// state-changing requests carrying the step's inputs.
    pub fn is_list(self) -> bool {
        matches!(self, Feature::Spaces | Feature::Apps | Feature::TargetApps)
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The methods a recipe may use (anything else, e.g. `CONNECT` or `TRACE`, is refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn parse(method: &str) -> Option<Method> {
        Some(match method.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// A request that changes something on the portal (a step is made of these).
    pub fn changes_state(self) -> bool {
        self != Method::Get
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One learned recipe: one feature on one portal origin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    pub format: u32,
    pub feature: Feature,
    /// The origin it was learned on (`https://console.example.com`); it is replayed only there.
    pub origin: String,
    #[serde(with = "time::serde::rfc3339")]
    pub learned_at: OffsetDateTime,
    /// The requests of the step, sent in this order (a list has exactly one).
    pub requests: Vec<RequestTemplate>,
    /// The status word a later release query showed after the step, when the recording had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_after: Option<StatusAfter>,
    /// Lists only: where the items are in the answer and how to page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<ListShape>,
    /// Temporary code only: where the last answer gives the code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeShape>,
}

/// Where a temporary code's answer gives the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CodeShape {
    /// The publish id at `path`: the tool makes the deeplink and its QR.
    PublishId { path: JsonPath },
    /// A URL (a deeplink, a page) at `path`.
    Url { path: JsonPath },
    /// A QR image as a `data:image/…;base64,` URL at `path`.
    QrDataUrl { path: JsonPath },
    /// The answer's body is the QR image itself.
    QrImage,
}

/// One request of a recipe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestTemplate {
    pub method: Method,
    /// The path after the origin, one slot per segment (`/a/b` is two segments).
    pub path: Vec<Slot>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<Param>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Param>,
    /// A JSON body (sent as `application/json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Node>,
    pub success: SuccessShape,
}

/// A query parameter or a header: a name and its value's slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    pub name: String,
    pub value: Slot,
}

/// A JSON body template: objects and arrays as recorded, leaves as slots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Node {
    Object(BTreeMap<String, Node>),
    Array(Vec<Node>),
    Value(Slot),
}

/// One value of a request: a literal or a typed placeholder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "slot", rename_all = "snake_case", deny_unknown_fields)]
pub enum Slot {
    /// Sent as recorded (a JSON scalar; in a path, query or header its text).
    Literal { value: Value },
    /// One of the step's inputs, sent as the JSON type it was seen as.
    Input {
        input: Input,
        #[serde(rename = "as")]
        repr: Repr,
    },
    /// The user IDs of a whitelist, in the shape they were seen in.
    UserIds { shape: UserIdsShape },
    /// A value of the answer of an earlier request of the same recipe (0-based `request`).
    From {
        request: usize,
        path: JsonPath,
        #[serde(rename = "as")]
        repr: Repr,
    },
    /// The current value of the session's cookie `name` (a CSRF header echoed from a cookie).
    Cookie { name: String },
    /// The time of sending (a cache-buster such as `_=<ms>`).
    Now { unit: TimeUnit },
    /// The `Bx-V` value as configured (binding's `bxV`, `GOPAY_MINIAPP_BX_V`, the default).
    BxV,
    /// Lists: the page number (or offset) of the request.
    Page,
}

/// The step inputs and the ids the tool reads from known answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    SpaceId,
    AppId,
    ChannelCode,
    Version,
    Ratio,
    ReleaseNotes,
    /// The release item's id (from the observed release query).
    ReleaseId,
    /// The version's id.
    VersionId,
}

impl Input {
    pub const ALL: [Input; 8] = [
        Input::SpaceId,
        Input::AppId,
        Input::ChannelCode,
        Input::Version,
        Input::Ratio,
        Input::ReleaseNotes,
        Input::ReleaseId,
        Input::VersionId,
    ];

    /// The input named `name` ([`Input::name`]).
    pub fn parse(name: &str) -> Option<Input> {
        Input::ALL.into_iter().find(|i| i.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Input::SpaceId => "space_id",
            Input::AppId => "app_id",
            Input::ChannelCode => "channel_code",
            Input::Version => "version",
            Input::Ratio => "ratio",
            Input::ReleaseNotes => "release_notes",
            Input::ReleaseId => "release_id",
            Input::VersionId => "version_id",
        }
    }
}

/// How a value was seen: a JSON string or a JSON number (`10` and `"10"` differ). Path
/// segments, query values and headers are text: `string`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Repr {
    String,
    Number,
}

/// How the user IDs were sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum UserIdsShape {
    /// A JSON array, each ID as a string or a number.
    Array {
        #[serde(rename = "as")]
        repr: Repr,
    },
    /// One string, the IDs joined with `separator`.
    Joined { separator: String },
    /// One query parameter repeated, an ID each (`userIds=1001&userIds=1002`).
    Repeated,
    /// One ID was recorded as a plain value: no separator was seen, so only one ID can be sent.
    Single {
        #[serde(rename = "as")]
        repr: Repr,
    },
}

/// A cache-buster's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    Millis,
    Seconds,
}

/// A place in a JSON value: keys and array indexes, `["data", "list", 0, "id"]`.
pub type JsonPath = Vec<PathStep>;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathStep {
    Index(usize),
    Key(String),
}

/// `data.list[0].id`, for messages.
pub fn path_text(path: &[PathStep]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            PathStep::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            PathStep::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() {
        out.push_str("(the answer)");
    }
    out
}

/// The value at `path` in `value`.
pub fn at_path<'v>(value: &'v Value, path: &[PathStep]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, step| match step {
        PathStep::Key(key) => v.as_object()?.get(key),
        PathStep::Index(i) => v.as_array()?.get(*i),
    })
}

/// What a successful answer looks like: an HTTP 2xx whose JSON has these values, and where
/// the portal puts its own message when it is not one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuccessShape {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equals: Vec<Expect>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub message: Vec<JsonPath>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub path: JsonPath,
    pub value: Value,
}

/// The release's status word a later release query showed after the step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusAfter {
    /// The field it was read from (`versionStatus`).
    pub field: String,
    pub word: String,
}

/// Where a list's items are and how to get all of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListShape {
    /// The array holding the items.
    pub items: JsonPath,
    /// The item's field holding its id, and the one holding its name.
    pub id_field: String,
    pub name_field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paging: Option<Paging>,
}

/// Paging of a list: the [`Slot::Page`] parameter's first value and step, and when to stop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paging {
    pub first: i64,
    /// 1 for page numbers; the page size for offsets.
    pub step: i64,
    /// The page size the recording asked for (a short page is the last one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    pub stop: Stop,
}

/// When a list has no more pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "when", rename_all = "snake_case", deny_unknown_fields)]
pub enum Stop {
    /// When the items read reach the number at `path`.
    Total { path: JsonPath },
    /// When the boolean at `path` is false.
    More { path: JsonPath },
    /// When a page has fewer items than the page size (or none).
    ShortPage,
}

/// Why a recipe read from disk (or given to the tool) is refused. Values from the file are
/// shown cleaned and cut.
#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    #[error("the recipe is not valid JSON of the recipe format: {0}")]
    Json(String),
    #[error("the recipe has format {found}; this version reads format {FORMAT}")]
    Format { found: u32 },
    #[error("the recipe was learned on {found}, not on this portal ({expected}); recipes run only on the origin they were learned on")]
    Origin { found: String, expected: String },
    #[error("the recipe for {feature} is not valid: {reason}")]
    Invalid { feature: Feature, reason: String },
}

impl Recipe {
    /// Reads a recipe from its JSON (a file's bytes, read within
    /// `guard::limits::RECIPE_FILE_MAX`) and checks it for the portal at `expected_origin`.
    pub fn from_json(bytes: &[u8], expected_origin: &Url) -> Result<Recipe, RecipeError> {
        if bytes.len() as u64 > gopay_miniapp_guard::limits::RECIPE_FILE_MAX {
            return Err(RecipeError::Json(format!(
                "it is larger than {} bytes",
                gopay_miniapp_guard::limits::RECIPE_FILE_MAX
            )));
        }
        // The format first, so that a newer file says so rather than "unknown field".
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(bytes) {
            if let Some(found) = map.get("format").and_then(Value::as_u64) {
                if found != u64::from(FORMAT) {
                    return Err(RecipeError::Format {
                        found: u32::try_from(found).unwrap_or(u32::MAX),
                    });
                }
            }
        }
        let recipe: Recipe = serde_json::from_slice(bytes)
            .map_err(|e| RecipeError::Json(Shown(&e.to_string()).to_string()))?;
        recipe.check(expected_origin)?;
        Ok(recipe)
    }

    /// Reads a recipe file within its limit and checks it (see [`Recipe::from_json`]).
    pub fn read_file(
        path: &std::path::Path,
        expected_origin: &Url,
    ) -> Result<Recipe, RecipeFileError> {
        let bytes = gopay_miniapp_guard::limits::read_file(
            path,
            gopay_miniapp_guard::limits::RECIPE_FILE_MAX,
        )?;
        Ok(Recipe::from_json(&bytes, expected_origin)?)
    }

    /// The recipe as it is stored (pretty JSON, ending with a newline).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a recipe serialises");
        text.push('\n');
        text
    }

    /// The hash the user confirms a project recipe by ("once per content hash"): sha256 of the
    /// recipe's canonical JSON (compact, keys in the format's order), hex.
    pub fn content_hash(&self) -> String {
        let canonical = serde_json::to_vec(self).expect("a recipe serialises");
        hex::encode(Sha256::digest(canonical))
    }

    /// The checks of a recipe that is outside data: format, origin, bounds, relative paths,
    /// known placeholders used where they can be filled, header names that are not the
    /// session's.
    pub fn check(&self, expected_origin: &Url) -> Result<(), RecipeError> {
        if self.format != FORMAT {
            return Err(RecipeError::Format { found: self.format });
        }
        let expected = expected_origin.origin().ascii_serialization();
        let found = Url::parse(&self.origin)
            .ok()
            .map(|u| u.origin().ascii_serialization());
        if found.as_deref() != Some(expected.as_str()) {
            return Err(RecipeError::Origin {
                found: Shown(&self.origin).to_string(),
                expected,
            });
        }
        let invalid = |reason: String| RecipeError::Invalid {
            feature: self.feature,
            reason,
        };
        if self.requests.is_empty() || self.requests.len() > MAX_REQUESTS {
            return Err(invalid(format!(
                "it has {} requests (1 to {MAX_REQUESTS})",
                self.requests.len()
            )));
        }
        if self.feature.is_list() != self.list.is_some() {
            return Err(invalid(if self.feature.is_list() {
                "a list recipe needs `list` (where the items are)".into()
            } else {
                "only a list recipe has `list`".into()
            }));
        }
        if (self.feature == Feature::TemporaryCode) != self.code.is_some() {
            return Err(invalid(if self.code.is_none() {
                "a temporary code recipe needs `code` (where the answer gives it)".into()
            } else {
                "only a temporary code recipe has `code`".into()
            }));
        }
        if let Some(
            CodeShape::PublishId { path } | CodeShape::Url { path } | CodeShape::QrDataUrl { path },
        ) = &self.code
        {
            check_path(path).map_err(invalid)?;
        }
        if self.feature.is_list() && self.requests.len() != 1 {
            return Err(invalid("a list recipe has exactly one request".into()));
        }
        if let Some(status) = &self.status_after {
            check_name("status field", &status.field).map_err(invalid)?;
            check_name("status word", &status.word).map_err(invalid)?;
        }
        if let Some(list) = &self.list {
            check_name("id field", &list.id_field).map_err(invalid)?;
            check_name("name field", &list.name_field).map_err(invalid)?;
            check_path(&list.items).map_err(invalid)?;
        }
        for (index, request) in self.requests.iter().enumerate() {
            check_request(index, request, self.list.as_ref()).map_err(|reason| {
                invalid(format!(
                    "request {} ({}): {reason}",
                    index + 1,
                    request.method
                ))
            })?;
        }
        Ok(())
    }
}

/// A folder name for the recipes of one portal origin (`https_console.example.com_443`):
/// scheme, host and port, nothing a file system or a shell reads specially.
pub fn origin_dir(origin: &Url) -> String {
    let host = origin.host_str().unwrap_or("no-host");
    let port = origin.port_or_known_default().unwrap_or(0);
    let name = format!("{}_{host}_{port}", origin.scheme());
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One fingerprint of the recipes a portal has (the portal cache key includes it, so a learned,
/// changed or forgotten recipe is a new key): sha256 of their sorted content hashes, hex; the
/// fingerprint of no recipe is that of the empty list.
pub fn fingerprint<'r>(recipes: impl IntoIterator<Item = &'r Recipe>) -> String {
    let mut hashes: Vec<String> = recipes.into_iter().map(Recipe::content_hash).collect();
    hashes.sort_unstable();
    hex::encode(Sha256::digest(hashes.join("\n")))
}

/// Why a recipe file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecipeFileError {
    #[error(transparent)]
    Read(#[from] gopay_miniapp_guard::limits::FileReadError),
    #[error(transparent)]
    Recipe(#[from] RecipeError),
}

/// Header names a recipe never carries: the session's and those a browser or an HTTP client
/// sets by itself.
pub fn is_dropped_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    const DROPPED: &[&str] = &[
        "cookie",
        "authorization",
        "proxy-authorization",
        "host",
        "connection",
        "keep-alive",
        "content-length",
        "content-type",
        "transfer-encoding",
        "user-agent",
        "accept",
        "accept-encoding",
        "accept-language",
        "origin",
        "referer",
        "dnt",
        "pragma",
        "cache-control",
        "upgrade-insecure-requests",
        "priority",
        "te",
        "if-none-match",
        "if-modified-since",
        "range",
        // Tracing headers a page's script makes up per request.
        "traceparent",
        "tracestate",
        "baggage",
        "sentry-trace",
        "x-request-id",
        "request-id",
    ];
    name.starts_with(':')
        || name.starts_with("sec-")
        || name.starts_with("x-b3-")
        || name.starts_with("proxy-")
        || DROPPED.contains(&name.as_str())
}

/// A name that says its value is the session's or a secret (`X-CSRF-Token`, `sessionId`,
/// `accessToken`): such a value is never kept as a literal.
pub fn is_secret_name(name: &str) -> bool {
    let lower: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    const WORDS: &[&str] = &[
        "csrf",
        "xsrf",
        "token",
        "session",
        "sessid",
        "secret",
        "password",
        "passwd",
        "authorization",
        "bearer",
        "cookie",
        "signature",
        "apikey",
        "accesskey",
    ];
    // `auth` (X-Auth, authKey) but not `author` (authorName): a name, not a secret.
    WORDS.iter().any(|w| lower.contains(w)) || (lower.contains("auth") && !lower.contains("author"))
}

fn check_name(what: &str, name: &str) -> Result<(), String> {
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "the {what} is empty or longer than {MAX_NAME_CHARS} characters"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(format!(
            "the {what} `{}` holds control characters",
            Shown(name)
        ));
    }
    Ok(())
}

fn check_path(path: &[PathStep]) -> Result<(), String> {
    if path.len() > MAX_DEPTH {
        return Err(format!("a JSON path is deeper than {MAX_DEPTH}"));
    }
    for step in path {
        if let PathStep::Key(key) = step {
            check_name("JSON key", key)?;
        }
    }
    Ok(())
}

/// Characters a literal path segment may hold: a URL path's own characters, no `/`, `?`, `#`,
/// `\`, spaces or controls, so a segment never leaves the path or the origin.
fn is_segment_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@%".contains(c)
}

fn check_request(
    index: usize,
    request: &RequestTemplate,
    list: Option<&ListShape>,
) -> Result<(), String> {
    if request.path.is_empty() || request.path.len() > 64 {
        return Err("its path has no segment or more than 64".into());
    }
    for (i, segment) in request.path.iter().enumerate() {
        if let Slot::Literal { value } = segment {
            let Value::String(text) = value else {
                return Err(format!("path segment {} is not text", i + 1));
            };
            // Decoded too: a URL parser takes `%2e%2e` for `..` as well.
            let decoded = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
            if matches!(decoded.as_ref(), "." | "..") || !text.chars().all(is_segment_char) {
                return Err(format!(
                    "path segment {} `{}` is not a relative path segment",
                    i + 1,
                    Shown(text)
                ));
            }
        }
        check_slot(index, segment, list, Place::Path)?;
    }
    if request.query.len() > MAX_FIELDS || request.headers.len() > MAX_FIELDS {
        return Err(format!(
            "more than {MAX_FIELDS} query parameters or headers"
        ));
    }
    for param in &request.query {
        check_name("query parameter name", &param.name)?;
        check_slot(index, &param.value, list, Place::Query)?;
    }
    for header in &request.headers {
        check_name("header name", &header.name)?;
        if !header
            .name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
        {
            return Err(format!("`{}` is not a header name", Shown(&header.name)));
        }
        if is_dropped_header(&header.name) {
            return Err(format!(
                "the header `{}` is never carried by a recipe (the session's or the browser's)",
                Shown(&header.name)
            ));
        }
        match &header.value {
            Slot::Cookie { .. } | Slot::BxV => {}
            Slot::Literal {
                value: Value::String(text),
            } if text.bytes().all(|b| b.is_ascii_graphic() || b == b' ') => {}
            _ => {
                return Err(format!(
                    "the header `{}` is neither a cookie's value, Bx-V nor a literal header value",
                    Shown(&header.name)
                ))
            }
        }
        if is_secret_name(&header.name) && !matches!(header.value, Slot::Cookie { .. }) {
            return Err(format!(
                "the header `{}` names a session value; it can only be a cookie's",
                Shown(&header.name)
            ));
        }
    }
    if let Some(body) = &request.body {
        let mut count = 0;
        check_node(index, body, list, 0, &mut count)?;
    }
    for expect in &request.success.equals {
        check_path(&expect.path)?;
        check_literal(&expect.value)?;
    }
    for path in &request.success.message {
        check_path(path)?;
    }
    Ok(())
}

#[derive(PartialEq)]
enum Place {
    Path,
    Query,
    Body,
}

fn check_node(
    index: usize,
    node: &Node,
    list: Option<&ListShape>,
    depth: usize,
    count: &mut usize,
) -> Result<(), String> {
    *count += 1;
    if depth > MAX_DEPTH || *count > MAX_FIELDS * 16 {
        return Err(format!(
            "its body is deeper than {MAX_DEPTH} or has more than {} values",
            MAX_FIELDS * 16
        ));
    }
    match node {
        Node::Object(map) => {
            for (key, value) in map {
                check_name("body key", key)?;
                check_node(index, value, list, depth + 1, count)?;
            }
            Ok(())
        }
        Node::Array(items) => items
            .iter()
            .try_for_each(|item| check_node(index, item, list, depth + 1, count)),
        Node::Value(slot) => check_slot(index, slot, list, Place::Body),
    }
}

fn check_literal(value: &Value) -> Result<(), String> {
    match value {
        Value::String(text) if text.chars().count() > MAX_LITERAL_CHARS => Err(format!(
            "a literal is longer than {MAX_LITERAL_CHARS} characters"
        )),
        Value::Array(_) | Value::Object(_) => Err("a literal is not a JSON scalar".into()),
        _ => Ok(()),
    }
}

fn check_slot(
    index: usize,
    slot: &Slot,
    list: Option<&ListShape>,
    place: Place,
) -> Result<(), String> {
    match slot {
        Slot::Literal { value } => {
            check_literal(value)?;
            if place != Place::Body && !value.is_string() {
                return Err("a literal in a path or query is not text".into());
            }
        }
        Slot::From { request, path, .. } => {
            if *request >= index {
                return Err(format!(
                    "a value is taken from request {}, which is not an earlier one",
                    request + 1
                ));
            }
            check_path(path)?;
        }
        Slot::Cookie { name } => {
            check_name("cookie name", name)?;
            if !name
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
            {
                return Err(format!("`{}` is not a cookie name", Shown(name)));
            }
        }
        Slot::Page if list.and_then(|l| l.paging.as_ref()).is_none() => {
            return Err("a page number without paging".into());
        }
        Slot::UserIds {
            shape: UserIdsShape::Joined { separator },
        } if separator.is_empty() || separator.chars().count() > 8 => {
            return Err("a user ID separator is empty or longer than 8 characters".into());
        }
        Slot::UserIds {
            shape: UserIdsShape::Array { .. },
        } if place != Place::Body => {
            return Err("user IDs as an array outside a JSON body".into());
        }
        Slot::UserIds {
            shape: UserIdsShape::Repeated,
        } if place != Place::Query => {
            return Err("user IDs as a repeated parameter outside the query".into());
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_the_sessions_and_names_are_not() {
        for name in [
            "X-XSRF-TOKEN",
            "x-csrf-token",
            "_csrf",
            "sessionId",
            "JSESSIONID",
            "accessToken",
            "Authorization",
            "X-Auth",
            "authKey",
            "api_key",
            "client_secret",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "type",
            "authorName",
            "author",
            "appId",
            "ratio",
            "remark",
            "keyword",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn the_browsers_and_the_sessions_headers_are_dropped() {
        for name in [
            "Cookie",
            "authorization",
            "User-Agent",
            "Sec-Fetch-Mode",
            "sec-ch-ua",
            ":authority",
            "Content-Type",
            "traceparent",
            "X-B3-TraceId",
            "Referer",
        ] {
            assert!(is_dropped_header(name), "{name}");
        }
        for name in ["bx-v", "x-requested-with", "x-lang", "x-xsrf-token"] {
            assert!(!is_dropped_header(name), "{name}");
        }
    }

    #[test]
    fn json_paths_read_and_print() {
        let value = serde_json::json!({"data": {"list": [{"id": 5}]}});
        let path = vec![
            PathStep::Key("data".into()),
            PathStep::Key("list".into()),
            PathStep::Index(0),
            PathStep::Key("id".into()),
        ];
        assert_eq!(at_path(&value, &path), Some(&serde_json::json!(5)));
        assert_eq!(path_text(&path), "data.list[0].id");
        assert_eq!(path_text(&[]), "(the answer)");
        assert_eq!(at_path(&value, &[PathStep::Index(0)]), None);
        // Indexes and keys keep their JSON types in a recipe.
        assert_eq!(
            serde_json::to_string(&path).unwrap(),
            r#"["data","list",0,"id"]"#
        );
    }

    #[test]
    fn origin_folders_are_plain_names() {
        let dir = |u: &str| origin_dir(&Url::parse(u).unwrap());
        assert_eq!(
            dir("https://console.example.com/x?y"),
            "https_console.example.com_443"
        );
        assert_eq!(dir("http://127.0.0.1:8780"), "http_127.0.0.1_8780");
        assert_eq!(dir("http://[::1]:8780/"), "http____1__8780");
        // Another port is another folder.
        assert_ne!(dir("http://127.0.0.1:8780"), dir("http://127.0.0.1:8781"));
    }

    #[test]
    fn every_feature_has_a_name_and_lists_are_lists() {
        for feature in Feature::ALL {
            assert_eq!(Feature::parse(feature.name()), Some(feature));
            assert_eq!(
                Feature::parse(&feature.name().replace('_', "-")),
                Some(feature)
            );
        }
        assert_eq!(Feature::parse("TARGET-APPS"), Some(Feature::TargetApps));
        assert_eq!(Feature::parse("upload"), None);
        assert_eq!(Feature::TemporaryCode.file_name(), "temporary_code.json");
        for feature in Feature::ALL {
            let json = serde_json::to_string(&feature).unwrap();
            assert_eq!(json, format!("\"{}\"", feature.name()));
        }
        let lists: Vec<Feature> = Feature::ALL.into_iter().filter(|f| f.is_list()).collect();
        assert_eq!(lists, [Feature::Spaces, Feature::Apps, Feature::TargetApps]);
        assert_eq!(Method::parse("post"), Some(Method::Post));
        assert_eq!(Method::parse("TRACE"), None);
        assert_eq!(Method::parse("CONNECT"), None);
    }
}
