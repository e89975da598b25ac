//! The learner: recorded requests + the step's typed values + the portal's origin → a recipe,
//! or a typed [`Refusal`] naming what was seen. Never a guess:
//!
//! - **Exact, typed matching.** A value becomes a placeholder when a whole JSON value, query
//!   value or path segment equals a known value: its text for a string, its decimal text for a
//!   number (the JSON type seen is kept: `10` is sent as `10`, `"10"` as `"10"`). Never a
//!   substring: a string *holding* a known id (`/apps/A1/edit`) is refused as a composite.
//! - **One meaning per value.** A value equal to two knowns (a ratio equal to another number)
//!   is refused unless [`Options::choices`] says which; so is a short known (under 4
//!   characters: a ratio of `10`) matched in two places (a page size of `10` too).
//! - **The step** is the state-changing requests carrying inputs, in order; a request that
//!   carries none joins when it uses a value from an earlier step request's answer, and a GET
//!   joins only when a later step request uses a value from its answer ([`Slot::From`]).
//!   Requests that failed (HTTP not 2xx, `success: false`) are not candidates.
//! - **Session values by reference only.** Cookies, `Authorization`, the headers a browser adds
//!   and the session's own headers are dropped; a value equal to a cookie's becomes
//!   [`Slot::Cookie`]; `Bx-V` becomes [`Slot::BxV`]; a `_=<ms>` cache-buster [`Slot::Now`]. A
//!   value equal to the `Authorization` header's, or a field named like a secret
//!   ([`crate::format::is_secret_name`]) that is not a cookie's, is refused: it is never kept.
//! - **Literals** (everything else) are reported for the user to see; under `--yes`
//!   ([`Literals::Yes`]) only booleans, null and short constant tokens (`[A-Za-z0-9_-]{1,32}`,
//!   numbers included) and the empty string pass without an explicit accept of that field.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use gopay_miniapp_guard::text::Shown;
use serde_json::Value;
use time::OffsetDateTime;
use url::Url;

use crate::format::{
    is_dropped_header, is_secret_name, path_text, CodeShape, Expect, Feature, Input, JsonPath,
    ListShape, Method, Node, Paging, Param, PathStep, Recipe, Repr, RequestTemplate, Slot,
    StatusAfter, Stop, SuccessShape, TimeUnit, UserIdsShape, FORMAT,
};
use crate::har::RecordedRequest;
use crate::values::Values;

/// How literals are let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literals {
    /// The user sees the recipe and confirms it (every literal is shown).
    Confirm,
    /// `--yes`: only booleans, null and short constant tokens pass, and the fields named in
    /// `accepted` (`--accept-literal FIELD`, as [`Field::name`] shows them).
    Yes { accepted: Vec<String> },
}

/// What the user told the learner.
#[derive(Debug, Clone)]
pub struct Options {
    /// When it is learned (stored in the recipe).
    pub learned_at: OffsetDateTime,
    pub literals: Literals,
    /// For a field whose value equals two knowns: which one it is (`None`: a literal).
    pub choices: Vec<(String, Option<Input>)>,
}

impl Options {
    pub fn new(learned_at: OffsetDateTime, literals: Literals) -> Self {
        Options {
            learned_at,
            literals,
            choices: Vec::new(),
        }
    }
}

/// A list's expected item: its id (default: the binding's), and its name when the user
/// confirmed one.
#[derive(Debug, Clone)]
pub struct ListExpect {
    pub id: String,
    pub name: Option<String>,
}

/// One field of a learned recipe, for showing it (each field as placeholder or literal).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// 1-based request of the recipe.
    pub request: usize,
    /// `body.data.ratio`, `query.appId`, `header.x-lang`, `path[3]`.
    pub place: String,
    pub slot: Slot,
}

impl Field {
    /// A literal segment of the path: the route, not a value.
    pub fn is_route(&self) -> bool {
        self.place.starts_with("path[") && matches!(self.slot, Slot::Literal { .. })
    }

    /// The name `--accept-literal` takes: the place, prefixed by `N:` past the first request.
    pub fn name(&self) -> String {
        if self.request > 1 {
            format!("{}:{}", self.request, self.place)
        } else {
            self.place.clone()
        }
    }
}

/// A recipe and how it was read from the recording.
#[derive(Debug, Clone)]
pub struct Learned {
    pub recipe: Recipe,
    pub fields: Vec<Field>,
    /// Headers left out because they carry the session (names only, for the user to see).
    pub dropped_headers: Vec<String>,
}

impl Learned {
    /// The literal values (shown to the user before saving, the ones `--yes` checks): every
    /// literal field but the path's literal segments, which are the route itself.
    pub fn literals(&self) -> impl Iterator<Item = &Field> {
        self.fields
            .iter()
            .filter(|f| matches!(f.slot, Slot::Literal { .. }) && !f.is_route())
    }
}

/// Why nothing was learned: what was seen, never a value of the session. Outside values are
/// kept shown (cleaned, cut).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("the recording has no request to {expected}; it was made on {}: record it on the portal you are bound to", seen.join(", "))]
    ForeignOrigin { expected: String, seen: Vec<String> },
    #[error("no {feature} request was found among the {seen} requests to the portal{}: do the step in the portal while recording, with the inputs given here", if *failed > 0 { format!(" ({failed} matching ones failed, so they show nothing to learn)") } else { String::new() })]
    NothingMatched {
        feature: Feature,
        seen: usize,
        failed: usize,
    },
    #[error("two requests could be this step and nothing tells them apart: {first} and {second}; record the step alone, once")]
    Indistinguishable { first: String, second: String },
    #[error("{field} holds a value equal to {}; say which it is (or record with values that differ)", inputs.join(" and "))]
    TwoKnowns { field: String, inputs: Vec<String> },
    #[error("the {input} value is in {}; say which of them is the {input} (the others are literals)", fields.join(" and "))]
    Repeated { input: String, fields: Vec<String> },
    #[error("{field} holds the {input} inside a longer value `{shown}`; only whole values (path segments, query values, JSON values) can be filled in, so this step cannot be learned")]
    Composite {
        field: String,
        input: String,
        shown: String,
    },
    #[error("{field} holds one of the user IDs alone; they can be learned only sent together (an array, one joined string, or one query parameter repeated in order)")]
    UserIdsApart { field: String },
    #[error("{field} carries a session value that is not a cookie's; a recipe never keeps one, so this step cannot be learned")]
    SessionValue { field: String },
    #[error("{field} is the literal `{shown}`, which is not a short constant; check it and accept it (--accept-literal {field}) or confirm interactively")]
    Literal { field: String, shown: String },
    #[error("{request} sends a {shown} body; only JSON bodies can be learned (uploads cannot be captured)")]
    UnsupportedBody { request: String, shown: String },
    #[error("what was recorded cannot be kept as a recipe: {reason}")]
    Unstorable { reason: String },
    #[error("the answer of {request} holds no temporary code: {seen}; the tool reads a publish id, a URL or a QR image")]
    NoCode { request: String, seen: String },
    #[error("the item with id {id} has no field equal to the name `{name}`; its text fields: {}", fields.join(", "))]
    NameNotFound {
        id: String,
        name: String,
        fields: Vec<String>,
    },
    #[error("the item with id {id} has no single name field; its text fields: {}; give the item's name", fields.join(", "))]
    NameFieldUnclear { id: String, fields: Vec<String> },
}

/// Learns a step (not a list) of `feature`.
pub fn learn_step(
    feature: Feature,
    recorded: &[RecordedRequest],
    origin: &Url,
    values: &Values,
    options: &Options,
) -> Result<Learned, Refusal> {
    let same = same_origin(recorded, origin, values)?;
    let analysed = analyse_all(&same, values, options, true);

    let state_changing_ok = |a: &Analysed| a.method.changes_state() && a.ok;
    // Primary candidates: state-changing, answered, carrying inputs (or a value of an earlier
    // candidate's answer).
    let mut selected: BTreeSet<usize> = BTreeSet::new();
    for (i, a) in analysed.iter().enumerate() {
        // A value of an answer counts when the answer is a candidate's, or a read's that
        // carried inputs (the release query whose item id the step sends).
        let uses_an_answer = a.from.iter().any(|s| {
            selected.contains(s)
                || (analysed[*s].method == Method::Get && analysed[*s].carries_inputs)
        });
        if state_changing_ok(a) && (a.carries_inputs || uses_an_answer) {
            selected.insert(i);
        }
    }
    if selected.is_empty() && feature == Feature::TemporaryCode {
        // Showing a temporary code may be a read: the GET carrying the inputs whose answer is
        // a code (a publish id or an image before a mere URL, which any answer may hold).
        let reads: Vec<(usize, CodeShape)> = analysed
            .iter()
            .enumerate()
            .filter(|(_, a)| a.method == Method::Get && a.ok && a.carries_inputs)
            .filter_map(|(i, a)| code_shape(a).ok().map(|c| (i, c)))
            .collect();
        let strong: Vec<usize> = reads
            .iter()
            .filter(|(_, c)| !matches!(c, CodeShape::Url { .. }))
            .map(|(i, _)| *i)
            .collect();
        let chosen = if strong.is_empty() {
            reads.iter().map(|(i, _)| *i).collect()
        } else {
            strong
        };
        if let Some(first) = chosen.first() {
            for other in &chosen[1..] {
                if analysed[*other].template.path != analysed[*first].template.path {
                    return Err(Refusal::Indistinguishable {
                        first: analysed[*first].label(),
                        second: analysed[*other].label(),
                    });
                }
            }
            selected.insert(*first);
        }
    }
    if selected.is_empty() {
        // A composite or a session value in a state-changing request is why nothing matched.
        if let Some(issue) = analysed
            .iter()
            .filter(|a| state_changing_ok(a) && a.touches_inputs)
            .find_map(|a| a.issues.first())
        {
            return Err(issue.clone());
        }
        return Err(Refusal::NothingMatched {
            feature,
            seen: same.len(),
            failed: analysed
                .iter()
                .filter(|a| a.method.changes_state() && !a.ok && a.carries_inputs)
                .count(),
        });
    }
    // Sources whose answers the step uses join it (transitively).
    loop {
        let more: Vec<usize> = selected
            .iter()
            .flat_map(|i| analysed[*i].from.iter().copied())
            .filter(|s| !selected.contains(s))
            .collect();
        if more.is_empty() {
            break;
        }
        selected.extend(more);
    }
    let step: Vec<usize> = selected.into_iter().collect();
    check_distinct(&analysed, &step)?;
    for i in &step {
        if let Some(issue) = analysed[*i].issues.first() {
            return Err(issue.clone());
        }
    }
    let last = *step.last().expect("a step has a request");
    let status_after = status_after(&analysed[last + 1..], values);
    let mut learned = build(feature, origin, values, &analysed, &step, options)?;
    learned.recipe.status_after = status_after;
    if feature == Feature::TemporaryCode {
        learned.recipe.code = Some(code_shape(&analysed[last])?);
    }
    checked(learned, origin)
}

/// A learned recipe passes the checks of one read from disk, so what is saved can be read back
/// (a literal of 10,000 characters, a header value that is no header value are refused here).
fn checked(learned: Learned, origin: &Url) -> Result<Learned, Refusal> {
    learned
        .recipe
        .check(origin)
        .map_err(|err| Refusal::Unstorable {
            reason: err.to_string(),
        })?;
    Ok(learned)
}

/// Where the temporary code's answer gives the code: a field named like a publish id, else a
/// `data:image/` URL, else a URL; or the answer is an image.
fn code_shape(last: &Analysed) -> Result<CodeShape, Refusal> {
    let Some(answer) = &last.answer else {
        return if last.answer_mime.starts_with("image/") {
            Ok(CodeShape::QrImage)
        } else {
            Err(Refusal::NoCode {
                request: last.label(),
                seen: format!("a {} answer", Shown(&last.answer_mime)),
            })
        };
    };
    let (mut publish, mut data_url, mut url) = (None, None, None);
    scalars(answer, &mut Vec::new(), &mut |path, value| {
        let key: String = match path.last() {
            Some(PathStep::Key(k)) => k
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .flat_map(char::to_lowercase)
                .collect(),
            _ => String::new(),
        };
        let text = match value {
            Value::String(s) => s.as_str(),
            Value::Number(_) => "",
            _ => return,
        };
        if key.contains("publishid") && publish.is_none() {
            publish = Some(path.to_vec());
        } else if text.starts_with("data:image/") && data_url.is_none() {
            data_url = Some(path.to_vec());
        } else if text.split_once("://").is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }) && url.is_none()
        {
            url = Some(path.to_vec());
        }
    });
    if let Some(path) = publish {
        return Ok(CodeShape::PublishId { path });
    }
    if let Some(path) = data_url {
        return Ok(CodeShape::QrDataUrl { path });
    }
    if let Some(path) = url {
        return Ok(CodeShape::Url { path });
    }
    Err(Refusal::NoCode {
        request: last.label(),
        seen: "a JSON answer without a publish id, a URL or an image".into(),
    })
}

/// Learns a list (`spaces`, `apps`, `target_apps`): the GET whose answer holds `expect.id` in
/// an array of items. `values` holds what the list request may carry (the space id of an app
/// list), not the expected id.
pub fn learn_list(
    feature: Feature,
    recorded: &[RecordedRequest],
    origin: &Url,
    values: &Values,
    expect: &ListExpect,
    options: &Options,
) -> Result<Learned, Refusal> {
    let same = same_origin(recorded, origin, values)?;
    let analysed = analyse_all(&same, values, options, false);
    // (analysed index, items path, item index, id field)
    let mut found: Vec<(usize, JsonPath, usize, String)> = Vec::new();
    for (i, a) in analysed.iter().enumerate() {
        if a.method != Method::Get || !a.ok {
            continue;
        }
        if let Some(answer) = &a.answer {
            find_item(
                answer,
                &expect.id,
                &mut Vec::new(),
                &mut |path, index, field| found.push((i, path.to_vec(), index, field.to_string())),
            );
        }
    }
    // The name the user confirmed tells a list of these items (a space with its name) from
    // another list that only refers to the id (the MiniApps of that space, each with its
    // `spaceId`): candidates whose item has no field equal to it are not this list, when some
    // have one.
    if let Some(name) = expect.name.as_deref() {
        let named = |(i, path, index, _): &(usize, JsonPath, usize, String)| {
            analysed[*i]
                .answer
                .as_ref()
                .and_then(|answer| crate::format::at_path(answer, path))
                .and_then(|items| items.get(*index))
                .and_then(Value::as_object)
                .is_some_and(|item| item.values().any(|v| v.as_str() == Some(name)))
        };
        if found.iter().any(named) {
            found.retain(named);
        }
    }
    let Some(first) = found.first().cloned() else {
        return Err(Refusal::NothingMatched {
            feature,
            seen: same.len(),
            failed: 0,
        });
    };
    // The same endpoint recorded twice (a page, then the next) is one candidate; another
    // endpoint or another array holding the id is a second one.
    for other in &found[1..] {
        let (a, b) = (&analysed[first.0], &analysed[other.0]);
        let same_endpoint = a.template.path == b.template.path
            && query_names(&a.template) == query_names(&b.template);
        if !same_endpoint || other.1 != first.1 {
            return Err(Refusal::Indistinguishable {
                first: format!("{} at {}", a.label(), path_text(&first.1)),
                second: format!("{} at {}", b.label(), path_text(&other.1)),
            });
        }
        // The id in two fields (an item's `id`, another's `parentId`): which is the id?
        if other.3 != first.3 {
            return Err(Refusal::Indistinguishable {
                first: format!("the field {} of the items", Shown(&first.3)),
                second: format!("the field {}", Shown(&other.3)),
            });
        }
    }
    let (index, items_path, item_index, id_field) = first;
    let a = &analysed[index];
    if let Some(issue) = a.issues.first() {
        return Err(issue.clone());
    }
    let answer = a.answer.as_ref().expect("found in the answer");
    let items = crate::format::at_path(answer, &items_path)
        .and_then(Value::as_array)
        .expect("found in the answer");
    let item = items[item_index].as_object().expect("items are objects");
    let name_field = name_field(item, &id_field, expect)?;
    let mut paging = paging(&a.template, answer, &items_path);
    // The list's first page is the lowest recorded (the id may be on a later page).
    if let Some((param, p)) = &mut paging {
        let same_endpoint = analysed.iter().filter(|b| {
            b.method == Method::Get
                && b.template.path == a.template.path
                && query_names(&b.template) == query_names(&a.template)
        });
        for b in same_endpoint {
            let lowest = b.template.query.iter().find_map(|q| match &q.value {
                Slot::Literal {
                    value: Value::String(v),
                } if &q.name == param => v.parse::<i64>().ok(),
                _ => None,
            });
            if let Some(lowest) = lowest {
                p.first = p.first.min(lowest);
            }
        }
    }
    let list = ListShape {
        items: items_path,
        id_field,
        name_field,
        paging: paging.as_ref().map(|(_, p)| p.clone()),
    };
    let mut analysed_list = analysed;
    if let Some((param, _)) = &paging {
        let entry = &mut analysed_list[index];
        for p in &mut entry.template.query {
            if &p.name == param {
                p.value = Slot::Page;
            }
        }
        for f in &mut entry.fields {
            if f.0 == format!("query.{param}") {
                f.1 = Slot::Page;
            }
        }
    }
    let mut learned = build(feature, origin, values, &analysed_list, &[index], options)?;
    learned.recipe.list = Some(list);
    checked(learned, origin)
}

// ---------------------------------------------------------------------------------------------

/// One recorded request read against the knowns.
struct Analysed {
    method: Method,
    template: RequestTemplate,
    /// (place, slot) of every leaf, in order.
    fields: Vec<(String, Slot)>,
    carries_inputs: bool,
    /// Carries inputs, also inside a composite value or as a refused session value.
    touches_inputs: bool,
    /// Earlier analysed requests whose answers it uses.
    from: BTreeSet<usize>,
    issues: Vec<Refusal>,
    answer: Option<Value>,
    /// The answer's media type (an image is a temporary code's QR).
    answer_mime: String,
    ok: bool,
    dropped_headers: Vec<String>,
}

impl Analysed {
    fn label(&self) -> String {
        format!("{} /{}", self.method, path_label(&self.template.path))
    }
}

fn path_label(path: &[Slot]) -> String {
    path.iter()
        .map(|s| match s {
            Slot::Literal {
                value: Value::String(t),
            } => Shown(t).to_string(),
            Slot::Input { input, .. } => format!("{{{}}}", input.name()),
            Slot::From { request, path, .. } => {
                format!("{{answer {} at {}}}", request + 1, path_text(path))
            }
            Slot::Cookie { name } => format!("{{cookie {}}}", Shown(name)),
            _ => "{…}".to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn query_names(t: &RequestTemplate) -> Vec<&str> {
    let mut names: Vec<&str> = t.query.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    names
}

/// The requests to the portal's origin (with an allowed method), or the refusal naming the
/// origins seen when there is none (or when a request carrying an input went elsewhere).
fn same_origin<'r>(
    recorded: &'r [RecordedRequest],
    origin: &Url,
    values: &Values,
) -> Result<Vec<(&'r RecordedRequest, Method)>, Refusal> {
    let expected = origin.origin();
    let same: Vec<(&RecordedRequest, Method)> = recorded
        .iter()
        .filter(|r| r.url.origin() == expected)
        .filter_map(|r| Method::parse(&r.method).map(|m| (r, m)))
        .collect();
    let foreign_with_inputs = recorded
        .iter()
        .any(|r| r.url.origin() != expected && mentions_input(r, values));
    if same.is_empty()
        || (foreign_with_inputs && !same.iter().any(|(r, _)| mentions_input(r, values)))
    {
        let mut seen: Vec<String> = recorded
            .iter()
            .map(|r| Shown(&r.url.origin().ascii_serialization()).to_string())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .take(5)
            .collect();
        if seen.is_empty() {
            seen.push("no request at all".into());
        }
        return Err(Refusal::ForeignOrigin {
            expected: expected.ascii_serialization(),
            seen,
        });
    }
    Ok(same)
}

/// Whether a known value appears as a whole query value, path segment or JSON value: only to
/// tell a recording made on another origin from noise there.
fn mentions_input(r: &RecordedRequest, values: &Values) -> bool {
    let known: Vec<&str> = values.present().map(|(_, v)| v).collect();
    let in_path = r
        .url
        .path_segments()
        .is_some_and(|mut s| s.any(|seg| known.contains(&seg)));
    let in_query = r
        .url
        .query_pairs()
        .any(|(_, v)| known.contains(&v.as_ref()));
    let in_body = r.body.as_ref().is_some_and(|b| {
        serde_json::from_str::<Value>(&b.text).is_ok_and(|v| json_mentions(&v, &known))
    });
    in_path || in_query || in_body
}

fn json_mentions(v: &Value, known: &[&str]) -> bool {
    match v {
        Value::String(s) => known.contains(&s.as_str()),
        Value::Number(n) => known.contains(&n.to_string().as_str()),
        Value::Array(items) => items.iter().any(|i| json_mentions(i, known)),
        Value::Object(map) => map.values().any(|i| json_mentions(i, known)),
        _ => false,
    }
}

fn analyse_all(
    same: &[(&RecordedRequest, Method)],
    values: &Values,
    options: &Options,
    from_sources: bool,
) -> Vec<Analysed> {
    let mut analysed: Vec<Analysed> = Vec::new();
    for (request, method) in same {
        // Sources: earlier answered requests that carried inputs or changed something.
        let sources: Vec<(usize, &Value)> = if from_sources {
            analysed
                .iter()
                .enumerate()
                .rev()
                .filter(|(_, a)| a.ok && (a.carries_inputs || a.method.changes_state()))
                .filter_map(|(i, a)| a.answer.as_ref().map(|v| (i, v)))
                .take(MAX_SOURCES)
                .collect()
        } else {
            Vec::new()
        };
        let analysis = analyse(request, *method, values, options, &sources);
        analysed.push(analysis);
    }
    analysed
}

/// Whether an answer is a success: HTTP 2xx and not `success: false`.
fn answered_ok(request: &RecordedRequest, answer: Option<&Value>) -> bool {
    let Some(response) = &request.response else {
        return false;
    };
    (200..300).contains(&response.status)
        && !answer
            .and_then(|a| a.get("success"))
            .is_some_and(|s| s == &Value::Bool(false))
}

struct Matcher<'a> {
    values: &'a Values,
    options: &'a Options,
    cookies: Vec<(String, String)>,
    authorization: Vec<String>,
    sources: &'a [(usize, &'a Value)],
    started_ms: Option<i64>,
}

/// Where a leaf is: text (path, query, header) or a JSON body value.
#[derive(Clone, Copy, PartialEq)]
enum Pos {
    Path,
    Query,
    Header,
    Body,
}

#[derive(Default)]
struct LeafOut {
    carries: bool,
    touches: bool,
    issue: Option<Refusal>,
    from: Option<usize>,
}

/// Earlier answers a value is looked for in (the nearest ones): a step's requests follow each
/// other; a long recording's older answers would only cost time.
const MAX_SOURCES: usize = 32;
/// A known shorter than this (a ratio `10`) may equal an unrelated number of the same request
/// (a page size): matched in two places, it is refused unless the user says which.
const REPEAT_MIN: usize = 4;
/// The shortest length of a known for a composite to be looked for: shorter ones (`7`) are
/// in too many unrelated strings to mean anything.
const COMPOSITE_MIN: usize = 3;
/// Cookies shorter than this (`lang=en`, `1`) are not echoed on purpose by a page: a value
/// equal to one is a coincidence, not a reference.
const COOKIE_ECHO_MIN: usize = 8;

impl Matcher<'_> {
    fn knowns_equal(&self, value: &Value, pos: Pos) -> Vec<(String, Slot)> {
        let (text, repr) = match value {
            Value::String(s) => (s.clone(), Repr::String),
            Value::Number(n) if pos == Pos::Body => (n.to_string(), Repr::Number),
            _ => return Vec::new(),
        };
        let mut out: Vec<(String, Slot)> = self
            .values
            .present()
            .filter(|(_, v)| *v == text)
            .map(|(input, _)| (input.name().to_string(), Slot::Input { input, repr }))
            .collect();
        if let Some(ids) = self.values.user_ids() {
            if ids.len() == 1 && ids[0] == text {
                out.push((
                    "user_ids".into(),
                    Slot::UserIds {
                        shape: UserIdsShape::Single { repr },
                    },
                ));
            } else if let (Some(sep), Repr::String) = (joined_separator(&text, ids), repr) {
                out.push((
                    "user_ids".into(),
                    Slot::UserIds {
                        shape: UserIdsShape::Joined { separator: sep },
                    },
                ));
            }
        }
        out
    }

    fn cookie_equal(&self, text: &str) -> Option<&str> {
        if text.len() < COOKIE_ECHO_MIN {
            return None;
        }
        self.cookies
            .iter()
            .find(|(_, v)| v == text)
            .map(|(n, _)| n.as_str())
    }

    /// A value of an earlier answer equal to this one: (source, path, repr). Only distinctive
    /// values (ids, not `1` or `true`), the latest source first, then the shortest path.
    fn earlier_answer_holding(&self, value: &Value, pos: Pos) -> Option<(usize, JsonPath, Repr)> {
        let distinctive = match value {
            // Ids have digits or are long; `append`, `USER_ID` are constants of the page.
            Value::String(s) => {
                let chars = s.chars().count();
                (chars >= 4 && s.chars().any(|c| c.is_ascii_digit())) || chars >= 16
            }
            Value::Number(n) => {
                n.as_u64().is_some_and(|n| n >= 1000) || n.as_i64().is_some_and(|n| n <= -1000)
            }
            _ => false,
        };
        if !distinctive {
            return None;
        }
        for (source, answer) in self.sources {
            let mut hits: Vec<(JsonPath, Repr)> = Vec::new();
            scalars(answer, &mut Vec::new(), &mut |path, v| {
                let repr = match (v, value, pos) {
                    (Value::String(a), Value::String(b), _) if a == b => Some(Repr::String),
                    (Value::Number(a), Value::Number(b), Pos::Body) if a == b => Some(Repr::Number),
                    (Value::Number(a), Value::String(b), p)
                        if p != Pos::Body && &a.to_string() == b =>
                    {
                        Some(Repr::String)
                    }
                    _ => None,
                };
                if let Some(repr) = repr {
                    hits.push((path.to_vec(), repr));
                }
            });
            hits.sort_by_key(|(p, _)| p.len());
            if let Some((path, repr)) = hits.into_iter().next() {
                return Some((*source, path, repr));
            }
        }
        None
    }

    fn is_cache_buster(&self, name: &str, text: &str) -> Option<TimeUnit> {
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let unit = match text.len() {
            13 => TimeUnit::Millis,
            10 => TimeUnit::Seconds,
            _ => return None,
        };
        let ms = text.parse::<i64>().ok()? * if unit == TimeUnit::Seconds { 1000 } else { 1 };
        const DAY: i64 = 86_400_000;
        let plausible = match self.started_ms {
            Some(started) => (ms - started).abs() <= DAY,
            // Without the time of sending only the usual names count.
            None => {
                matches!(name, "_" | "t" | "_t" | "ts" | "timestamp" | "time")
                    && (946_684_800_000..4_102_444_800_000).contains(&ms)
            }
        };
        plausible.then_some(unit)
    }

    /// A known held inside a longer text (bounded by non-alphanumerics), or one user ID of
    /// several alone.
    fn composite(&self, text: &str) -> Option<String> {
        let mut knowns: Vec<(String, &str)> = self
            .values
            .present()
            .filter(|(i, _)| !matches!(i, Input::ReleaseNotes | Input::Ratio))
            .map(|(i, v)| (i.name().to_string(), v))
            .collect();
        if let Some(ids) = self.values.user_ids() {
            knowns.extend(ids.iter().map(|id| ("user_ids".to_string(), id.as_str())));
        }
        for (name, known) in knowns {
            if known.chars().count() < COMPOSITE_MIN || known == text {
                continue;
            }
            for (at, _) in text.match_indices(known) {
                let before = text[..at].chars().next_back();
                let after = text[at + known.len()..].chars().next();
                let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
                if boundary(before) && boundary(after) {
                    return Some(name);
                }
            }
        }
        None
    }

    /// The slot of one leaf, with what it tells.
    fn leaf(&self, place: &str, name: &str, value: &Value, pos: Pos) -> (Slot, LeafOut) {
        let mut out = LeafOut::default();
        let text: Option<String> = match value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let literal = Slot::Literal {
            value: value.clone(),
        };
        let knowns = self.knowns_equal(value, pos);
        let choice = self
            .options
            .choices
            .iter()
            .find(|(field, _)| field == place)
            .map(|(_, c)| *c);
        match (knowns.len(), choice) {
            (0, _) => {}
            (_, Some(Some(input))) => {
                if let Some((_, slot)) = knowns
                    .iter()
                    .find(|(_, s)| matches!(s, Slot::Input { input: i, .. } if *i == input))
                {
                    out.carries = true;
                    out.touches = true;
                    return (slot.clone(), out);
                }
            }
            (_, Some(None)) => return (literal, out),
            (1, None) => {
                // A short value (a ratio of 10) is a placeholder, but alone it does not make a
                // request a candidate: a tracker's `count: 10` is no grayscale.
                out.carries = text
                    .as_ref()
                    .is_some_and(|t| t.chars().count() >= REPEAT_MIN)
                    || matches!(knowns[0].1, Slot::UserIds { .. });
                out.touches = true;
                return (knowns[0].1.clone(), out);
            }
            (_, None) => {
                out.touches = true;
                out.issue = Some(Refusal::TwoKnowns {
                    field: Shown(place).to_string(),
                    inputs: knowns.into_iter().map(|(n, _)| n).collect(),
                });
                return (literal, out);
            }
        }
        if let Some(text) = &text {
            if value.is_string() {
                if let Some(cookie) = self.cookie_equal(text) {
                    return (
                        Slot::Cookie {
                            name: cookie.to_string(),
                        },
                        out,
                    );
                }
                if self.authorization.iter().any(|a| a == text) {
                    out.issue = Some(Refusal::SessionValue {
                        field: Shown(place).to_string(),
                    });
                    return (literal, out);
                }
            }
            if let Some((source, path, repr)) = self.earlier_answer_holding(value, pos) {
                out.from = Some(source);
                return (
                    Slot::From {
                        request: source,
                        path,
                        repr,
                    },
                    out,
                );
            }
            if pos == Pos::Query {
                if let Some(unit) = self.is_cache_buster(name, text) {
                    return (Slot::Now { unit }, out);
                }
            }
            if self
                .values
                .user_ids()
                .is_some_and(|ids| ids.len() > 1 && ids.contains(text))
            {
                out.touches = true;
                out.issue = Some(Refusal::UserIdsApart {
                    field: Shown(place).to_string(),
                });
                return (literal, out);
            }
            if let Some(input) = self.composite(text) {
                out.touches = true;
                out.issue = Some(Refusal::Composite {
                    field: Shown(place).to_string(),
                    input,
                    shown: gopay_miniapp_guard::text::cut(&Shown(text).to_string(), 80)
                        .into_owned(),
                });
                return (literal, out);
            }
            if is_secret_name(name) && !text.is_empty() {
                out.issue = Some(Refusal::SessionValue {
                    field: Shown(place).to_string(),
                });
                return (literal, out);
            }
        }
        (literal, out)
    }
}

/// The separator that joins `ids` into `text` (`1001;1002` → `;`), when there is one: the
/// same non-alphanumeric string of at most 3 characters between every two IDs.
fn joined_separator(text: &str, ids: &[String]) -> Option<String> {
    if ids.len() < 2 {
        return None;
    }
    let total: usize = ids.iter().map(String::len).sum();
    let extra = text.len().checked_sub(total)?;
    if extra == 0 || !extra.is_multiple_of(ids.len() - 1) {
        return None;
    }
    let len = extra / (ids.len() - 1);
    let sep = text.get(ids[0].len()..ids[0].len() + len)?;
    (len <= 3 && !sep.chars().any(char::is_alphanumeric) && ids.join(sep) == text)
        .then(|| sep.to_string())
}

/// Every scalar of a JSON value with its path.
fn scalars(value: &Value, path: &mut JsonPath, f: &mut dyn FnMut(&[PathStep], &Value)) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                path.push(PathStep::Key(k.clone()));
                scalars(v, path, f);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(PathStep::Index(i));
                scalars(v, path, f);
                path.pop();
            }
        }
        _ => f(path, value),
    }
}

fn analyse(
    request: &RecordedRequest,
    method: Method,
    values: &Values,
    options: &Options,
    sources: &[(usize, &Value)],
) -> Analysed {
    let answer = request.answer_json();
    let ok = answered_ok(request, answer.as_ref());
    let mut authorization = Vec::new();
    if let Some(auth) = request.header("authorization") {
        authorization.push(auth.to_string());
        if let Some((_, token)) = auth.split_once(' ') {
            authorization.push(token.trim().to_string());
        }
    }
    let matcher = Matcher {
        values,
        options,
        cookies: request.all_cookies(),
        authorization,
        sources,
        started_ms: request.started_ms,
    };
    let mut a = Analysed {
        method,
        template: RequestTemplate {
            method,
            path: Vec::new(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            success: success_shape(answer.as_ref()),
        },
        fields: Vec::new(),
        carries_inputs: false,
        touches_inputs: false,
        from: BTreeSet::new(),
        issues: Vec::new(),
        answer,
        answer_mime: request
            .response
            .as_ref()
            .map(|r| r.mime_type.to_ascii_lowercase())
            .unwrap_or_default(),
        ok,
        dropped_headers: Vec::new(),
    };
    let note = |a: &mut Analysed, place: String, slot: &Slot, out: LeafOut| {
        a.carries_inputs |= out.carries;
        a.touches_inputs |= out.touches;
        if let Some(issue) = out.issue {
            a.issues.push(issue);
        }
        if let Some(source) = out.from {
            a.from.insert(source);
        }
        a.fields.push((place, slot.clone()));
    };

    // The path, by segments (as sent, percent-encoded; matched decoded).
    let raw_path = request.url.path();
    for (i, raw) in raw_path.split('/').skip(1).enumerate() {
        let decoded = percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .into_owned();
        let place = format!("path[{}]", i + 1);
        let (slot, out) = matcher.leaf(&place, "", &Value::String(decoded), Pos::Path);
        let slot = match slot {
            Slot::Literal { .. } => Slot::Literal {
                value: Value::String(raw.to_string()),
            },
            other => other,
        };
        note(&mut a, place, &slot, out);
        a.template.path.push(slot);
    }
    let pairs: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    let mut skip = 0;
    for (at, (name, value)) in pairs.iter().enumerate() {
        if skip > 0 {
            skip -= 1;
            continue;
        }
        // The user IDs as one parameter repeated, in order (`userIds=1001&userIds=1002`).
        if let Some(ids) = values.user_ids().filter(|ids| ids.len() > 1) {
            let run = pairs[at..].iter().take(ids.len());
            if run.len() == ids.len() && run.zip(ids).all(|((n, v), id)| n == name && v == id) {
                let slot = Slot::UserIds {
                    shape: UserIdsShape::Repeated,
                };
                let out = LeafOut {
                    carries: true,
                    touches: true,
                    ..LeafOut::default()
                };
                note(&mut a, format!("query.{name}"), &slot, out);
                a.template.query.push(Param {
                    name: name.clone(),
                    value: slot,
                });
                skip = ids.len() - 1;
                continue;
            }
        }
        let (name, value) = (name.clone(), value.clone());
        let place = format!("query.{name}");
        let (slot, out) = matcher.leaf(&place, &name, &Value::String(value), Pos::Query);
        note(&mut a, place, &slot, out);
        a.template.query.push(Param { name, value: slot });
    }
    for (name, value) in &request.headers {
        let lower = name.to_ascii_lowercase();
        if is_dropped_header(&lower) {
            continue;
        }
        let place = format!("header.{lower}");
        let slot = if lower == "bx-v" {
            Slot::BxV
        } else if let Some(cookie) = matcher.cookie_equal(value) {
            Slot::Cookie {
                name: cookie.to_string(),
            }
        } else if is_secret_name(&lower) || matcher.authorization.iter().any(|v| v == value) {
            // The session's own header (not echoed from a cookie): dropped, named to the user.
            a.dropped_headers.push(lower);
            continue;
        } else {
            let (slot, out) =
                matcher.leaf(&place, &lower, &Value::String(value.clone()), Pos::Header);
            note(&mut a, place.clone(), &slot, out);
            a.template.headers.push(Param {
                name: lower,
                value: slot,
            });
            continue;
        };
        note(&mut a, place, &slot, LeafOut::default());
        a.template.headers.push(Param {
            name: lower,
            value: slot,
        });
    }
    if let Some(body) = request.body.as_ref().filter(|b| !b.text.is_empty()) {
        match serde_json::from_str::<Value>(&body.text) {
            Ok(json) => {
                let mut leaves = Vec::new();
                let node = body_node(&matcher, &json, "body", "", &mut leaves);
                for (place, slot, out) in leaves {
                    note(&mut a, place, &slot, out);
                }
                a.template.body = Some(node);
            }
            Err(_) => a.issues.push(Refusal::UnsupportedBody {
                request: format!("{method} {}", Shown(request.url.path())),
                shown: Shown(&body.mime_type).to_string(),
            }),
        }
    }
    a
}

fn body_node(
    matcher: &Matcher<'_>,
    value: &Value,
    place: &str,
    name: &str,
    leaves: &mut Vec<(String, Slot, LeafOut)>,
) -> Node {
    match value {
        Value::Object(map) => Node::Object(
            map.iter()
                .map(|(k, v)| {
                    let place = format!("{place}.{k}");
                    (k.clone(), body_node(matcher, v, &place, k, leaves))
                })
                .collect::<BTreeMap<_, _>>(),
        ),
        Value::Array(items) => {
            if let Some(repr) = user_ids_array(items, matcher.values) {
                let slot = Slot::UserIds {
                    shape: UserIdsShape::Array { repr },
                };
                let out = LeafOut {
                    carries: true,
                    touches: true,
                    ..LeafOut::default()
                };
                leaves.push((place.to_string(), slot.clone(), out));
                return Node::Value(slot);
            }
            Node::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| body_node(matcher, v, &format!("{place}[{i}]"), name, leaves))
                    .collect(),
            )
        }
        scalar => {
            let (slot, out) = matcher.leaf(place, name, scalar, Pos::Body);
            leaves.push((place.to_string(), slot.clone(), out));
            Node::Value(slot)
        }
    }
}

/// An array equal to the user IDs, all as strings or all as numbers.
fn user_ids_array(items: &[Value], values: &Values) -> Option<Repr> {
    let ids = values.user_ids()?;
    if items.len() != ids.len() {
        return None;
    }
    if items.iter().zip(ids).all(|(v, id)| v.as_str() == Some(id)) {
        return Some(Repr::String);
    }
    if items
        .iter()
        .zip(ids)
        .all(|(v, id)| matches!(v, Value::Number(n) if &n.to_string() == id))
    {
        return Some(Repr::Number);
    }
    None
}

/// What a success looks like, from the recorded answer: its envelope flags (`success`,
/// `code`…) as they were, and where such envelopes put their message.
fn success_shape(answer: Option<&Value>) -> SuccessShape {
    const FLAGS: &[&str] = &[
        "success",
        "ok",
        "code",
        "errCode",
        "errorCode",
        "retCode",
        "resultCode",
    ];
    const MESSAGES: &[&str] = &[
        "errorMsg",
        "message",
        "msg",
        "errMsg",
        "errorMessage",
        "retMsg",
        "error",
    ];
    let mut shape = SuccessShape {
        equals: Vec::new(),
        message: MESSAGES
            .iter()
            .map(|m| vec![PathStep::Key((*m).to_string())])
            .collect(),
    };
    if let Some(Value::Object(map)) = answer {
        for flag in FLAGS {
            match map.get(*flag) {
                Some(v @ Value::Bool(_)) => shape.equals.push(Expect {
                    path: vec![PathStep::Key((*flag).to_string())],
                    value: v.clone(),
                }),
                Some(v @ (Value::Number(_) | Value::String(_)))
                    if v.as_str().is_none_or(|s| s.chars().count() <= 32) =>
                {
                    shape.equals.push(Expect {
                        path: vec![PathStep::Key((*flag).to_string())],
                        value: v.clone(),
                    })
                }
                _ => {}
            }
        }
    }
    shape
}

/// Two step requests with the same method and path cannot be told apart.
fn check_distinct(analysed: &[Analysed], step: &[usize]) -> Result<(), Refusal> {
    for (n, i) in step.iter().enumerate() {
        for j in &step[n + 1..] {
            let (a, b) = (&analysed[*i], &analysed[*j]);
            if a.method == b.method && a.template.path == b.template.path {
                return Err(Refusal::Indistinguishable {
                    first: a.label(),
                    second: b.label(),
                });
            }
        }
    }
    Ok(())
}

/// The status word a later answered GET shows for the release (the object holding the release
/// id, or the version when there is no id, and a status field).
fn status_after(later: &[Analysed], values: &Values) -> Option<StatusAfter> {
    // The release's id; without one, its version and target app together (a version alone is
    // in the releases of every target app).
    let keys: Vec<&str> = match values.get(Input::ReleaseId) {
        Some(id) => vec![id],
        None => std::iter::once(values.get(Input::Version)?)
            .chain(values.get(Input::ChannelCode))
            .collect(),
    };
    let mut found = None;
    for a in later.iter().filter(|a| a.method == Method::Get && a.ok) {
        if let Some(answer) = &a.answer {
            if let Some(status) = status_in(answer, &keys) {
                found = Some(status);
            }
        }
    }
    found
}

fn status_in(value: &Value, keys: &[&str]) -> Option<StatusAfter> {
    match value {
        Value::Object(map) => {
            let holds = keys.iter().all(|key| {
                map.values().any(|v| match v {
                    Value::String(s) => s == key,
                    Value::Number(n) => &n.to_string() == key,
                    _ => false,
                })
            });
            if holds {
                for (field, v) in map {
                    let lower = field.to_ascii_lowercase();
                    if lower.ends_with("status") || lower == "state" {
                        if let Value::String(word) = v {
                            if (1..=64).contains(&word.chars().count())
                                && !word.chars().any(char::is_control)
                            {
                                return Some(StatusAfter {
                                    field: field.clone(),
                                    word: word.clone(),
                                });
                            }
                        }
                    }
                }
            }
            map.values().find_map(|v| status_in(v, keys))
        }
        Value::Array(items) => items.iter().find_map(|v| status_in(v, keys)),
        _ => None,
    }
}

/// Finds arrays of objects whose item has a field equal to `id` (as text or as a number).
fn find_item(
    value: &Value,
    id: &str,
    path: &mut JsonPath,
    found: &mut dyn FnMut(&[PathStep], usize, &str),
) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                path.push(PathStep::Key(k.clone()));
                find_item(v, id, path, found);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                if let Value::Object(map) = item {
                    for (field, v) in map {
                        let equal = match v {
                            Value::String(s) => s == id,
                            Value::Number(n) => n.to_string() == id,
                            _ => false,
                        };
                        if equal {
                            found(path, index, field);
                        }
                    }
                }
                path.push(PathStep::Index(index));
                find_item(item, id, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}

fn name_field(
    item: &serde_json::Map<String, Value>,
    id_field: &str,
    expect: &ListExpect,
) -> Result<String, Refusal> {
    let text_fields: Vec<(&String, &str)> = item
        .iter()
        .filter(|(k, _)| k.as_str() != id_field)
        .filter_map(|(k, v)| v.as_str().map(|s| (k, s)))
        .collect();
    let shown_fields = || {
        text_fields
            .iter()
            .map(|(k, _)| Shown(k).to_string())
            .collect::<Vec<_>>()
    };
    let named = |candidates: Vec<&String>| -> Option<String> {
        if candidates.len() == 1 {
            return Some(candidates[0].clone());
        }
        let with_name: Vec<&&String> = candidates
            .iter()
            .filter(|k| k.to_ascii_lowercase().contains("name"))
            .collect();
        (with_name.len() == 1).then(|| (*with_name[0]).clone())
    };
    match &expect.name {
        Some(name) => {
            let equal: Vec<&String> = text_fields
                .iter()
                .filter(|(_, v)| v == name)
                .map(|(k, _)| *k)
                .collect();
            if equal.is_empty() {
                return Err(Refusal::NameNotFound {
                    id: Shown(&expect.id).to_string(),
                    name: Shown(name).to_string(),
                    fields: shown_fields(),
                });
            }
            named(equal).ok_or_else(|| Refusal::NameFieldUnclear {
                id: Shown(&expect.id).to_string(),
                fields: shown_fields(),
            })
        }
        None => named(
            text_fields
                .iter()
                .filter(|(k, _)| k.to_ascii_lowercase().contains("name"))
                .map(|(k, _)| *k)
                .collect(),
        )
        .ok_or_else(|| Refusal::NameFieldUnclear {
            id: Shown(&expect.id).to_string(),
            fields: shown_fields(),
        }),
    }
}

/// The paging of a list request: its page (or offset) parameter, the page size asked for, and
/// when to stop (a total, a "more" flag, or a short page).
fn paging(
    template: &RequestTemplate,
    answer: &Value,
    items: &[PathStep],
) -> Option<(String, Paging)> {
    let norm = |name: &str| -> String {
        name.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    const PAGE: &[&str] = &[
        "page",
        "pageno",
        "pagenum",
        "pagenumber",
        "pageindex",
        "current",
        "currentpage",
    ];
    const OFFSET: &[&str] = &["offset", "start", "skip"];
    const SIZE: &[&str] = &["pagesize", "size", "limit", "perpage", "rows", "count"];
    let literal_number = |slot: &Slot| match slot {
        Slot::Literal {
            value: Value::String(s),
        } => s.parse::<i64>().ok(),
        _ => None,
    };
    let size = template
        .query
        .iter()
        .find(|p| SIZE.contains(&norm(&p.name).as_str()))
        .and_then(|p| literal_number(&p.value))
        .and_then(|n| u64::try_from(n).ok());
    let (param, first, step) = template.query.iter().find_map(|p| {
        let n = norm(&p.name);
        let first = literal_number(&p.value)?;
        if PAGE.contains(&n.as_str()) {
            Some((p.name.clone(), first, 1))
        } else if OFFSET.contains(&n.as_str()) {
            Some((p.name.clone(), first, i64::try_from(size?).ok()?))
        } else {
            None
        }
    })?;
    // The total or the "more" flag next to the items, or at the top, or under `data`.
    let parent = &items[..items.len().saturating_sub(1)];
    let mut places: Vec<JsonPath> = vec![parent.to_vec(), Vec::new()];
    places.push(vec![PathStep::Key("data".into())]);
    const TOTAL: &[&str] = &[
        "total",
        "totalcount",
        "totalnum",
        "totalsize",
        "totalrecords",
        "totalelements",
        "totalitems",
    ];
    const MORE: &[&str] = &["hasmore", "hasnext", "hasnextpage", "more"];
    let mut stop = Stop::ShortPage;
    'places: for place in places {
        if let Some(Value::Object(map)) = crate::format::at_path(answer, &place) {
            for (k, v) in map {
                let n = norm(k);
                let mut path = place.clone();
                path.push(PathStep::Key(k.clone()));
                if TOTAL.contains(&n.as_str()) && v.is_u64() {
                    stop = Stop::Total { path };
                    break 'places;
                }
                if MORE.contains(&n.as_str()) && v.is_boolean() {
                    stop = Stop::More { path };
                    break 'places;
                }
            }
        }
    }
    Some((
        param,
        Paging {
            first,
            step,
            size,
            stop,
        },
    ))
}

/// The recipe of the `step` requests (indexes into `analysed`), after the literal rule.
fn build(
    feature: Feature,
    origin: &Url,
    values: &Values,
    analysed: &[Analysed],
    step: &[usize],
    options: &Options,
) -> Result<Learned, Refusal> {
    let position: BTreeMap<usize, usize> = step.iter().enumerate().map(|(p, i)| (*i, p)).collect();
    let remap = |slot: &mut Slot| {
        if let Slot::From { request, .. } = slot {
            *request = position[request];
        }
    };
    let mut requests = Vec::new();
    let mut fields = Vec::new();
    let mut dropped_headers = Vec::new();
    for (p, i) in step.iter().enumerate() {
        let a = &analysed[*i];
        let mut template = a.template.clone();
        template.path.iter_mut().for_each(remap);
        template.query.iter_mut().for_each(|q| remap(&mut q.value));
        template
            .headers
            .iter_mut()
            .for_each(|h| remap(&mut h.value));
        if let Some(body) = &mut template.body {
            remap_node(body, &remap);
        }
        requests.push(template);
        for (place, slot) in &a.fields {
            let mut slot = slot.clone();
            remap(&mut slot);
            fields.push(Field {
                request: p + 1,
                place: place.clone(),
                slot,
            });
        }
        dropped_headers.extend(a.dropped_headers.iter().cloned());
    }
    // A short value matched in two places (a ratio of 10 and a page size of 10): which one is
    // the input nothing tells, unless the user said so for every place.
    for input in crate::format::Input::ALL {
        if values
            .get(input)
            .is_none_or(|v| v.chars().count() >= REPEAT_MIN)
        {
            continue;
        }
        let places: Vec<String> = fields
            .iter()
            .filter(|f| matches!(f.slot, Slot::Input { input: i, .. } if i == input))
            .map(|f| Shown(&f.name()).to_string())
            .collect();
        let told = |place: &String| options.choices.iter().any(|(c, _)| c == place);
        if places.len() > 1 && !places.iter().all(told) {
            return Err(Refusal::Repeated {
                input: input.name().to_string(),
                fields: places,
            });
        }
    }
    if let Literals::Yes { accepted } = &options.literals {
        for field in fields.iter().filter(|f| !f.is_route()) {
            let Slot::Literal { value } = &field.slot else {
                continue;
            };
            let passes = match value {
                Value::Bool(_) | Value::Null => true,
                Value::Number(n) => is_token(&n.to_string()),
                // An empty value (`?keyword=`) carries nothing to check.
                Value::String(s) => s.is_empty() || is_token(s),
                _ => false,
            };
            if !passes
                && !accepted
                    .iter()
                    .any(|a| a == &field.name() || a == &field.place)
            {
                let text = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                return Err(Refusal::Literal {
                    field: Shown(&field.name()).to_string(),
                    shown: gopay_miniapp_guard::text::cut(&Shown(&text).to_string(), 80)
                        .into_owned(),
                });
            }
        }
    }
    Ok(Learned {
        recipe: Recipe {
            format: FORMAT,
            feature,
            origin: origin.origin().ascii_serialization(),
            learned_at: options.learned_at,
            requests,
            status_after: None,
            list: None,
            code: None,
        },
        fields,
        dropped_headers,
    })
}

fn remap_node(node: &mut Node, remap: &dyn Fn(&mut Slot)) {
    match node {
        Node::Object(map) => map.values_mut().for_each(|n| remap_node(n, remap)),
        Node::Array(items) => items.iter_mut().for_each(|n| remap_node(n, remap)),
        Node::Value(slot) => remap(slot),
    }
}

/// A short constant token: `[A-Za-z0-9_-]{1,32}`.
pub fn is_token(text: &str) -> bool {
    (1..=32).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The recipe as the user confirms it: each request, each field as placeholder or literal,
/// the status seen after, the list's shape, the headers left out. Outside text is shown
/// cleaned and cut; no session value is in a recipe to show.
impl fmt::Display for Learned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let recipe = &self.recipe;
        writeln!(
            f,
            "{} on {} ({} request{}):",
            recipe.feature,
            Shown(&recipe.origin),
            recipe.requests.len(),
            if recipe.requests.len() == 1 { "" } else { "s" }
        )?;
        for (index, request) in recipe.requests.iter().enumerate() {
            writeln!(
                f,
                "  {}. {} /{}",
                index + 1,
                request.method,
                path_label(&request.path)
            )?;
            for field in self
                .fields
                .iter()
                .filter(|field| field.request == index + 1 && !field.is_route())
            {
                writeln!(
                    f,
                    "       {}: {}",
                    Shown(&field.place),
                    crate::replay::describe_slot(&field.slot)
                )?;
            }
        }
        if let Some(status) = &recipe.status_after {
            writeln!(
                f,
                "  after it the release showed {} = {}",
                Shown(&status.field),
                Shown(&status.word)
            )?;
        }
        if let Some(list) = &recipe.list {
            writeln!(
                f,
                "  items at {}: id {}, name {}{}",
                Shown(&path_text(&list.items)),
                Shown(&list.id_field),
                Shown(&list.name_field),
                if list.paging.is_some() { ", paged" } else { "" }
            )?;
        }
        if let Some(code) = &recipe.code {
            let (what, path) = match code {
                CodeShape::PublishId { path } => ("the publish id", Some(path)),
                CodeShape::Url { path } => ("a URL", Some(path)),
                CodeShape::QrDataUrl { path } => ("a QR image", Some(path)),
                CodeShape::QrImage => ("the answer, a QR image", None),
            };
            match path {
                Some(path) => writeln!(f, "  the code: {what} at {}", Shown(&path_text(path)))?,
                None => writeln!(f, "  the code: {what}")?,
            }
        }
        if !self.dropped_headers.is_empty() {
            let names: Vec<String> = self
                .dropped_headers
                .iter()
                .map(|h| Shown(h).to_string())
                .collect();
            writeln!(f, "  left out (the session's): {}", names.join(", "))?;
        }
        Ok(())
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            Shown(&self.name()),
            crate::replay::describe_slot(&self.slot)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn user_ids_are_joined_by_one_observed_separator_or_not_at_all() {
        let two = ids(&["1001", "1002"]);
        assert_eq!(joined_separator("1001;1002", &two).as_deref(), Some(";"));
        assert_eq!(joined_separator("1001, 1002", &two).as_deref(), Some(", "));
        let three = ids(&["1001", "1002", "1003"]);
        assert_eq!(
            joined_separator("1001|1002|1003", &three).as_deref(),
            Some("|")
        );
        // Mixed separators, letters, nothing between, another order, one ID: none.
        assert_eq!(joined_separator("1001;1002,1003", &three), None);
        assert_eq!(joined_separator("1001x1002", &two), None);
        assert_eq!(joined_separator("10011002", &two), None);
        assert_eq!(joined_separator("1002;1001", &two), None);
        assert_eq!(joined_separator("1001", &ids(&["1001"])), None);
        assert_eq!(joined_separator("1001 ;; 1002", &two), None);
    }

    #[test]
    fn only_short_constant_tokens_are_tokens() {
        assert!(is_token("USER_ID"));
        assert!(is_token("append-only"));
        assert!(is_token(&"a".repeat(32)));
        assert!(!is_token(&"a".repeat(33)));
        assert!(!is_token(""));
        assert!(!is_token("two words"));
        assert!(!is_token("1.5"));
        assert!(!is_token("é"));
    }

    fn matcher<'a>(
        values: &'a Values,
        options: &'a Options,
        started_ms: Option<i64>,
    ) -> Matcher<'a> {
        Matcher {
            values,
            options,
            cookies: vec![
                ("XSRF-TOKEN".into(), "0123456789abcdef".into()),
                ("lang".into(), "en".into()),
            ],
            authorization: Vec::new(),
            sources: &[],
            started_ms,
        }
    }

    #[test]
    fn a_cache_buster_is_a_time_near_the_recording_or_a_usual_name() {
        let values = Values::default();
        let options = Options::new(OffsetDateTime::UNIX_EPOCH, Literals::Confirm);
        let recorded_at = Some(1_764_893_000_123);
        let m = matcher(&values, &options, recorded_at);
        assert_eq!(
            m.is_cache_buster("_", "1764893000100"),
            Some(TimeUnit::Millis)
        );
        assert_eq!(
            m.is_cache_buster("ts", "1764893001"),
            Some(TimeUnit::Seconds)
        );
        // A 13-digit id far from the recording's time is not one.
        assert_eq!(m.is_cache_buster("orderId", "1000000000000"), None);
        assert_eq!(m.is_cache_buster("_", "17648930001x3"), None);
        // Without the time of sending: only under a usual name.
        let m = matcher(&values, &options, None);
        assert_eq!(
            m.is_cache_buster("_", "1764893000100"),
            Some(TimeUnit::Millis)
        );
        assert_eq!(m.is_cache_buster("orderId", "1764893000100"), None);
    }

    #[test]
    fn composites_are_bounded_occurrences_of_a_known_of_three_characters_or_more() {
        let values = Values {
            app_id: Some("A100".into()),
            space_id: Some("7".into()),
            user_ids: Some(ids(&["1001", "1002"])),
            ..Values::default()
        };
        let options = Options::new(OffsetDateTime::UNIX_EPOCH, Literals::Confirm);
        let m = matcher(&values, &options, None);
        assert_eq!(m.composite("/apps/A100/edit").as_deref(), Some("app_id"));
        assert_eq!(m.composite("app-A100").as_deref(), Some("app_id"));
        assert_eq!(m.composite("XA100Y"), None);
        assert_eq!(m.composite("A1000"), None);
        // A known of one character is in too many strings to mean anything.
        assert_eq!(m.composite("v7-beta"), None);
        assert_eq!(m.composite("users:1002").as_deref(), Some("user_ids"));
    }

    #[test]
    fn short_cookies_are_not_echoes() {
        let values = Values::default();
        let options = Options::new(OffsetDateTime::UNIX_EPOCH, Literals::Confirm);
        let m = matcher(&values, &options, None);
        assert_eq!(m.cookie_equal("0123456789abcdef"), Some("XSRF-TOKEN"));
        assert_eq!(m.cookie_equal("en"), None);
    }
}
