//! Templating for replay: a recipe + the step's typed values + the session's cookies → the
//! concrete requests (method, path and query, headers, JSON body) the adapter sends to the
//! recipe's origin, one after the other; the check of each answer against the success shape;
//! the items and paging of a list.
//!
//! A [`Prepared`] request holds the session's cookie values where the recipe echoes them: its
//! `Debug` is the [`Redacted`] view, and [`Prepared::redacted`] is what `--dry-run` shows.

use std::fmt;

use gopay_miniapp_guard::text::{Line, Shown};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde_json::{Number, Value};
use time::OffsetDateTime;
use url::form_urlencoded::byte_serialize;

use crate::format::{
    at_path, path_text, CodeShape, Feature, Input, Method, Node, Recipe, Repr, Slot, Stop,
    TimeUnit, UserIdsShape,
};
use crate::values::Values;

/// Pages of a list read at most (a console's lists are a few pages).
pub const MAX_PAGES: usize = 100;

/// What a path segment's placeholder is encoded against: everything but a URL path's own
/// unreserved characters (`/`, `?`, `#` and `%` included), so a value never leaves its segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']');

/// What the templating needs besides the recipe.
pub struct Context<'a> {
    pub values: &'a Values,
    /// The current value of a session cookie, by name (`None`: the session has no such cookie).
    pub cookie: &'a dyn Fn(&str) -> Option<String>,
    /// The configured `Bx-V` value.
    pub bx_v: &'a str,
    /// The time a cache-buster says.
    pub now: OffsetDateTime,
}

/// One request ready to send: to `path_and_query` on the recipe's origin.
#[derive(Clone, PartialEq)]
pub struct Prepared {
    pub method: Method,
    /// `/a/b?c=d`, encoded.
    pub path_and_query: String,
    /// Headers to add (`content-type: application/json` when there is a body); the adapter adds
    /// the session's cookie itself.
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
    redacted: Redacted,
}

impl Prepared {
    /// The request with every session value replaced by what it refers to (`<cookie NAME>`).
    pub fn redacted(&self) -> &Redacted {
        &self.redacted
    }
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.redacted, f)
    }
}

/// A request as `--dry-run` and `--export` show it: no session value, only references.
#[derive(Debug, Clone, PartialEq)]
pub struct Redacted {
    pub method: Method,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {}", self.method, Line(&self.path_and_query))?;
        for (name, value) in &self.headers {
            writeln!(f, "{}: {}", Line(name), Line(value))?;
        }
        if let Some(body) = &self.body {
            writeln!(f, "{}", Line(&body.to_string()))?;
        }
        Ok(())
    }
}

/// Why a recipe could not be filled in (nothing was sent).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TemplateError {
    #[error("the recipe needs the {} and none was given", input.name())]
    Missing { input: Input },
    #[error("the recipe sends the {} as a number, and `{shown}` is not one", input.name())]
    NotANumber { input: Input, shown: String },
    #[error("the recipe sends user IDs as numbers, and `{shown}` is not one")]
    UserIdNotANumber { shown: String },
    #[error("the recipe needs user IDs and none were given")]
    NoUserIds,
    #[error("the recording sent one user ID, so it did not show how several are joined; send one, or learn the step again with two")]
    OneUserIdOnly,
    #[error("the session has no cookie {name}, which the recipe echoes; log in again")]
    CookieMissing { name: String },
    #[error("request {request} needs the answer of request {from}, which is not there yet")]
    NoAnswer { request: usize, from: usize },
    #[error(
        "request {request} needs {} of the answer of request {from}, which it does not have",
        path
    )]
    NotInAnswer {
        request: usize,
        from: usize,
        path: String,
    },
    #[error(
        "request {request} would put `.` or `..` as a path segment, which moves the path; refused"
    )]
    DotSegment { request: usize },
    #[error("the recipe has no request {0}")]
    NoRequest(usize),
    #[error("the list recipe needs a page number")]
    NoPage,
}

/// An answer that is not the recorded success.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnswerError {
    #[error("{feature}: request {request} of {of} was not accepted (HTTP {status}){}{}", message.as_ref().map(|m| format!(": {}", Line(m))).unwrap_or_default(), done_text(*request))]
    NotSuccess {
        feature: Feature,
        request: usize,
        of: usize,
        status: u16,
        /// The portal's own message, when the answer has one.
        message: Option<String>,
    },
    #[error("{feature}: the answer has no list at {path}; the portal's page may have changed: learn the list again")]
    NoItems { feature: Feature, path: String },
    #[error("the temporary code's answer has no {what} at {path}; the portal's page may have changed: learn temporary_code again")]
    NoCode { what: &'static str, path: String },
}

/// The temporary code an answer gives, as the recipe says: the adapter makes the deeplink and
/// its QR from a publish id, and decodes (or refuses) a URL or an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    PublishId(String),
    Url(String),
    /// PNG (or other image) bytes of a QR.
    Image(Vec<u8>),
}

/// The code of the temporary code recipe's last answer: `answer` its JSON (from
/// [`check_answer`]), `body` its bytes (for an answer that is the image).
pub fn temporary_code(recipe: &Recipe, answer: &Value, body: &[u8]) -> Result<Code, AnswerError> {
    use base64::Engine;
    let missing = |what, path: &[crate::format::PathStep]| AnswerError::NoCode {
        what,
        path: path_text(path),
    };
    match &recipe.code {
        None => Err(AnswerError::NoCode {
            what: "code",
            path: "(not a temporary code recipe)".into(),
        }),
        Some(CodeShape::QrImage) => {
            if body.is_empty() {
                Err(missing("image", &[]))
            } else {
                Ok(Code::Image(body.to_vec()))
            }
        }
        Some(CodeShape::PublishId { path }) => match at_path(answer, path) {
            Some(Value::String(s)) if !s.is_empty() => Ok(Code::PublishId(s.clone())),
            Some(Value::Number(n)) => Ok(Code::PublishId(n.to_string())),
            _ => Err(missing("publish id", path)),
        },
        Some(CodeShape::Url { path }) => match at_path(answer, path) {
            Some(Value::String(s)) if s.contains("://") => Ok(Code::Url(s.clone())),
            _ => Err(missing("URL", path)),
        },
        Some(CodeShape::QrDataUrl { path }) => at_path(answer, path)
            .and_then(Value::as_str)
            .filter(|s| s.starts_with("data:image/"))
            .and_then(|s| s.split_once(";base64,"))
            .and_then(|(_, data)| {
                base64::engine::general_purpose::STANDARD
                    .decode(data.trim())
                    .ok()
            })
            .map(Code::Image)
            .ok_or_else(|| missing("QR image", path)),
    }
}

fn done_text(request: usize) -> String {
    match request {
        1 => String::new(),
        2 => "; request 1 had been made and was accepted (it is not undone)".into(),
        n => format!(
            "; requests 1 to {} had been made and were accepted (they are not undone)",
            n - 1
        ),
    }
}

/// A value rendered: JSON, or a marker standing for a session value in the redacted view.
enum Rendered {
    Json(Value),
    Marker(String),
}

impl Rendered {
    fn text(&self) -> String {
        match self {
            Rendered::Json(Value::String(s)) => s.clone(),
            Rendered::Json(other) => other.to_string(),
            Rendered::Marker(m) => m.clone(),
        }
    }

    fn json(self) -> Value {
        match self {
            Rendered::Json(v) => v,
            Rendered::Marker(m) => Value::String(m),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Real,
    Redacted,
}

struct Renderer<'a> {
    ctx: &'a Context<'a>,
    answers: &'a [Value],
    request: usize,
    page: Option<i64>,
    mode: Mode,
}

fn number_of(text: &str) -> Option<Number> {
    serde_json::from_str::<Number>(text).ok()
}

impl Renderer<'_> {
    fn slot(&self, slot: &Slot, in_body: bool) -> Result<Rendered, TemplateError> {
        let typed = |text: &str, repr: Repr| -> Option<Value> {
            match (repr, in_body) {
                (Repr::Number, true) => number_of(text).map(Value::Number),
                _ => Some(Value::String(text.to_string())),
            }
        };
        Ok(Rendered::Json(match slot {
            Slot::Literal { value } => value.clone(),
            Slot::Input { input, repr } => {
                let text = self
                    .ctx
                    .values
                    .get(*input)
                    .ok_or(TemplateError::Missing { input: *input })?;
                if *repr == Repr::Number && number_of(text).is_none() {
                    return Err(TemplateError::NotANumber {
                        input: *input,
                        shown: Shown(text).to_string(),
                    });
                }
                typed(text, *repr).expect("checked")
            }
            Slot::UserIds { shape } => {
                let ids = self.ctx.values.user_ids().ok_or(TemplateError::NoUserIds)?;
                match shape {
                    UserIdsShape::Array { repr } => {
                        let mut out = Vec::new();
                        for id in ids {
                            out.push(typed(id, *repr).ok_or_else(|| {
                                TemplateError::UserIdNotANumber {
                                    shown: Shown(id).to_string(),
                                }
                            })?);
                        }
                        Value::Array(out)
                    }
                    UserIdsShape::Joined { separator } => Value::String(ids.join(separator)),
                    // Expanded by the query (the only place a recipe may have it).
                    UserIdsShape::Repeated => Value::String(ids.join(",")),
                    UserIdsShape::Single { repr } => {
                        if ids.len() != 1 {
                            return Err(TemplateError::OneUserIdOnly);
                        }
                        typed(&ids[0], *repr).ok_or_else(|| TemplateError::UserIdNotANumber {
                            shown: Shown(&ids[0]).to_string(),
                        })?
                    }
                }
            }
            Slot::From {
                request: from,
                path,
                repr,
            } => {
                // A value named like a secret (a CSRF token a page fetches first) is sent, but
                // shown as where it comes from.
                let secret = matches!(
                    path.last(),
                    Some(crate::format::PathStep::Key(k)) if crate::format::is_secret_name(k)
                );
                let answer = self
                    .answers
                    .get(*from)
                    .filter(|_| !(secret && self.mode == Mode::Redacted));
                let Some(answer) = answer else {
                    if self.mode == Mode::Redacted {
                        return Ok(Rendered::Marker(format!(
                            "<answer of request {} at {}>",
                            from + 1,
                            path_text(path)
                        )));
                    }
                    return Err(TemplateError::NoAnswer {
                        request: self.request + 1,
                        from: from + 1,
                    });
                };
                let not_in = || TemplateError::NotInAnswer {
                    request: self.request + 1,
                    from: from + 1,
                    path: path_text(path),
                };
                let text = match at_path(answer, path) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => return Err(not_in()),
                };
                typed(&text, *repr).ok_or_else(not_in)?
            }
            Slot::Cookie { name } => {
                if self.mode == Mode::Redacted {
                    return Ok(Rendered::Marker(format!("<cookie {}>", Shown(name))));
                }
                Value::String((self.ctx.cookie)(name).ok_or_else(|| {
                    TemplateError::CookieMissing {
                        name: Shown(name).to_string(),
                    }
                })?)
            }
            Slot::Now { unit } => {
                let ms = (self.ctx.now.unix_timestamp_nanos() / 1_000_000) as i64;
                let n = match unit {
                    TimeUnit::Millis => ms,
                    TimeUnit::Seconds => ms / 1000,
                };
                if in_body {
                    Value::Number(n.into())
                } else {
                    Value::String(n.to_string())
                }
            }
            Slot::BxV => Value::String(self.ctx.bx_v.to_string()),
            Slot::Page => {
                let page = self.page.ok_or(TemplateError::NoPage)?;
                if in_body {
                    Value::Number(page.into())
                } else {
                    Value::String(page.to_string())
                }
            }
        }))
    }

    fn node(&self, node: &Node) -> Result<Value, TemplateError> {
        Ok(match node {
            Node::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), self.node(v)?)))
                    .collect::<Result<_, TemplateError>>()?,
            ),
            Node::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|n| self.node(n))
                    .collect::<Result<_, _>>()?,
            ),
            Node::Value(slot) => self.slot(slot, true)?.json(),
        })
    }

    fn request(&self, recipe: &Recipe) -> Result<Redacted, TemplateError> {
        let template = recipe
            .requests
            .get(self.request)
            .ok_or(TemplateError::NoRequest(self.request + 1))?;
        let mut path = String::new();
        for segment in &template.path {
            path.push('/');
            match segment {
                // Literal segments are kept as recorded (already encoded).
                Slot::Literal {
                    value: Value::String(raw),
                } => path.push_str(raw),
                slot => match self.slot(slot, false)? {
                    Rendered::Marker(m) => path.push_str(&m),
                    rendered => {
                        let text = rendered.text();
                        if text == "." || text == ".." {
                            // A URL parser resolves a dot segment, encoded or not (`%2E%2E`
                            // too): the value would move the path instead of being in it.
                            return Err(TemplateError::DotSegment {
                                request: self.request + 1,
                            });
                        }
                        path.extend(utf8_percent_encode(&text, SEGMENT));
                    }
                },
            }
        }
        let mut query = Vec::new();
        for param in &template.query {
            let name: String = byte_serialize(param.name.as_bytes()).collect();
            if let Slot::UserIds {
                shape: UserIdsShape::Repeated,
            } = &param.value
            {
                let ids = self.ctx.values.user_ids().ok_or(TemplateError::NoUserIds)?;
                for id in ids {
                    let id: String = byte_serialize(id.as_bytes()).collect();
                    query.push(format!("{name}={id}"));
                }
                continue;
            }
            let value = match self.slot(&param.value, false)? {
                Rendered::Marker(m) => m,
                rendered => byte_serialize(rendered.text().as_bytes()).collect(),
            };
            query.push(format!("{name}={value}"));
        }
        if !query.is_empty() {
            path.push('?');
            path.push_str(&query.join("&"));
        }
        let mut headers = Vec::new();
        for header in &template.headers {
            headers.push((header.name.clone(), self.slot(&header.value, false)?.text()));
        }
        let body = template.body.as_ref().map(|b| self.node(b)).transpose()?;
        if body.is_some() {
            headers.push(("content-type".into(), "application/json".into()));
        }
        Ok(Redacted {
            method: template.method,
            path_and_query: path,
            headers,
            body,
        })
    }
}

/// Request `index` (0-based) of `recipe`, filled in; `answers` are the answers of the earlier
/// requests (for [`Slot::From`]), `page` the page number of a list.
pub fn prepare(
    recipe: &Recipe,
    index: usize,
    ctx: &Context<'_>,
    answers: &[Value],
    page: Option<i64>,
) -> Result<Prepared, TemplateError> {
    let render = |mode| {
        Renderer {
            ctx,
            answers,
            request: index,
            page,
            mode,
        }
        .request(recipe)
    };
    let real = render(Mode::Real)?;
    let redacted = render(Mode::Redacted)?;
    Ok(Prepared {
        method: real.method,
        path_and_query: real.path_and_query,
        headers: real.headers,
        body: real.body,
        redacted,
    })
}

/// Every request of `recipe` as `--dry-run` shows it: session values and values of answers not
/// yet given as references (nothing is sent).
pub fn dry_run(recipe: &Recipe, ctx: &Context<'_>) -> Result<Vec<Redacted>, TemplateError> {
    let first_page = recipe
        .list
        .as_ref()
        .and_then(|l| l.paging.as_ref())
        .map(|p| p.first);
    (0..recipe.requests.len())
        .map(|index| {
            Renderer {
                ctx,
                answers: &[],
                request: index,
                page: first_page,
                mode: Mode::Redacted,
            }
            .request(recipe)
        })
        .collect()
}

/// Checks the answer of request `index` against its success shape: its JSON (`Null` for an
/// empty body), or the typed error with the portal's own message.
pub fn check_answer(
    recipe: &Recipe,
    index: usize,
    status: u16,
    body: &[u8],
) -> Result<Value, AnswerError> {
    let answer: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        serde_json::from_slice(body).unwrap_or(Value::Null)
    };
    let shape = &recipe.requests[index].success;
    let ok = (200..300).contains(&status)
        && shape
            .equals
            .iter()
            .all(|e| at_path(&answer, &e.path) == Some(&e.value));
    if ok {
        return Ok(answer);
    }
    let message = shape
        .message
        .iter()
        .find_map(|p| match at_path(&answer, p) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        });
    Err(AnswerError::NotSuccess {
        feature: recipe.feature,
        request: index + 1,
        of: recipe.requests.len(),
        status,
        message,
    })
}

/// One item of a learned list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    pub id: String,
    pub name: String,
}

/// The items of one page of a list's answer (items without an id or a name are left out).
pub fn list_items(recipe: &Recipe, answer: &Value) -> Result<Vec<ListItem>, AnswerError> {
    let list = recipe.list.as_ref().ok_or(AnswerError::NoItems {
        feature: recipe.feature,
        path: "(not a list recipe)".into(),
    })?;
    let items = at_path(answer, &list.items)
        .and_then(Value::as_array)
        .ok_or_else(|| AnswerError::NoItems {
            feature: recipe.feature,
            path: path_text(&list.items),
        })?;
    Ok(items
        .iter()
        .filter_map(|item| {
            let id = match item.get(&list.id_field)? {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            let name = item.get(&list.name_field)?.as_str()?.to_string();
            Some(ListItem { id, name })
        })
        .collect())
}

/// The first page of a list (`None`: the list is one request without paging).
pub fn first_page(recipe: &Recipe) -> Option<i64> {
    recipe
        .list
        .as_ref()
        .and_then(|l| l.paging.as_ref())
        .map(|p| p.first)
}

/// The page after `page`, or `None` when the list is complete: by the answer's total or "more"
/// flag, or a short page; never past [`MAX_PAGES`]. `on_page` is the number of items of this
/// page's answer, `read` the number read so far, this page's included.
pub fn next_page(
    recipe: &Recipe,
    page: i64,
    answer: &Value,
    on_page: usize,
    read: usize,
) -> Option<i64> {
    let paging = recipe.list.as_ref()?.paging.as_ref()?;
    if on_page == 0 {
        return None;
    }
    let pages_read = usize::try_from((page - paging.first) / paging.step.max(1)).ok()? + 1;
    if pages_read >= MAX_PAGES {
        return None;
    }
    let more = match &paging.stop {
        Stop::Total { path } => at_path(answer, path)
            .and_then(Value::as_u64)
            .is_some_and(|total| (read as u64) < total),
        Stop::More { path } => at_path(answer, path) == Some(&Value::Bool(true)),
        Stop::ShortPage => paging.size.is_none_or(|size| on_page as u64 >= size),
    };
    more.then_some(page + paging.step)
}

/// How a slot is shown to the user (placeholder or literal).
pub fn describe_slot(slot: &Slot) -> String {
    match slot {
        Slot::Literal { value } => match value {
            Value::String(s) => format!("literal \"{}\"", Shown(s)),
            other => format!("literal {other}"),
        },
        Slot::Input { input, repr } => format!("{{{}}} as a {}", input.name(), repr_name(*repr)),
        Slot::UserIds { shape } => match shape {
            UserIdsShape::Array { repr } => {
                format!("{{user_ids}} as an array of {}s", repr_name(*repr))
            }
            UserIdsShape::Joined { separator } => {
                format!("{{user_ids}} joined with \"{}\"", Shown(separator))
            }
            UserIdsShape::Repeated => "{user_ids}, the parameter repeated for each".into(),
            UserIdsShape::Single { repr } => {
                format!("{{user_ids}} (one ID, as a {})", repr_name(*repr))
            }
        },
        Slot::From {
            request,
            path,
            repr,
        } => format!(
            "the answer of request {} at {} (as a {})",
            request + 1,
            path_text(path),
            repr_name(*repr)
        ),
        Slot::Cookie { name } => format!("the current value of cookie {}", Shown(name)),
        Slot::Now { unit } => match unit {
            TimeUnit::Millis => "now (milliseconds)".into(),
            TimeUnit::Seconds => "now (seconds)".into(),
        },
        Slot::BxV => "Bx-V as configured".into(),
        Slot::Page => "the page".into(),
    }
}

fn repr_name(repr: Repr) -> &'static str {
    match repr {
        Repr::String => "string",
        Repr::Number => "number",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{
        ListShape, Paging, Param, PathStep, RequestTemplate, SuccessShape, FORMAT,
    };

    fn recipe(path: Vec<Slot>, query: Vec<Param>, body: Option<Node>) -> Recipe {
        Recipe {
            format: FORMAT,
            feature: Feature::Whitelist,
            origin: "http://127.0.0.1:8780".into(),
            learned_at: OffsetDateTime::UNIX_EPOCH,
            requests: vec![RequestTemplate {
                method: Method::Post,
                path,
                query,
                headers: Vec::new(),
                body,
                success: SuccessShape {
                    equals: Vec::new(),
                    message: Vec::new(),
                },
            }],
            status_after: None,
            list: None,
            code: None,
        }
    }

    fn literal(text: &str) -> Slot {
        Slot::Literal {
            value: Value::String(text.into()),
        }
    }

    fn input(input: Input, repr: Repr) -> Slot {
        Slot::Input { input, repr }
    }

    fn no_cookie(_: &str) -> Option<String> {
        None
    }

    fn ctx(values: &Values) -> Context<'_> {
        Context {
            values,
            cookie: &no_cookie,
            bx_v: "2.5.36",
            now: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_value_never_leaves_its_path_segment_or_query_value() {
        let r = recipe(
            vec![literal("apps"), input(Input::AppId, Repr::String)],
            vec![Param {
                name: "q".into(),
                value: input(Input::ReleaseNotes, Repr::String),
            }],
            None,
        );
        let values = Values {
            app_id: Some("../a/b?c#d%".into()),
            release_notes: Some("x y&z=1".into()),
            ..Values::default()
        };
        let prepared = prepare(&r, 0, &ctx(&values), &[], None).unwrap();
        assert_eq!(
            prepared.path_and_query,
            "/apps/..%2Fa%2Fb%3Fc%23d%25?q=x+y%26z%3D1"
        );
        let values = Values {
            app_id: Some("..".into()),
            ..values
        };
        assert_eq!(
            prepare(&r, 0, &ctx(&values), &[], None).unwrap_err(),
            TemplateError::DotSegment { request: 1 }
        );
    }

    #[test]
    fn values_that_do_not_fit_the_recipe_are_typed_errors_before_sending() {
        let r = recipe(
            vec![literal("gray")],
            Vec::new(),
            Some(Node::Object(
                [(
                    "ratio".to_string(),
                    Node::Value(input(Input::Ratio, Repr::Number)),
                )]
                .into(),
            )),
        );
        let mut values = Values {
            ratio: Some("ten".into()),
            ..Values::default()
        };
        let err = prepare(&r, 0, &ctx(&values), &[], None).unwrap_err();
        assert!(
            matches!(
                err,
                TemplateError::NotANumber {
                    input: Input::Ratio,
                    ..
                }
            ),
            "{err}"
        );
        values.ratio = None;
        let err = prepare(&r, 0, &ctx(&values), &[], None).unwrap_err();
        assert_eq!(
            err,
            TemplateError::Missing {
                input: Input::Ratio
            }
        );
        values.ratio = Some("12.5".into());
        let prepared = prepare(&r, 0, &ctx(&values), &[], None).unwrap();
        assert_eq!(prepared.body, Some(serde_json::json!({"ratio": 12.5})));

        let single = recipe(
            vec![literal("w")],
            vec![Param {
                name: "users".into(),
                value: Slot::UserIds {
                    shape: UserIdsShape::Single { repr: Repr::String },
                },
            }],
            None,
        );
        let values = Values {
            user_ids: Some(vec!["1".into(), "2".into()]),
            ..Values::default()
        };
        assert_eq!(
            prepare(&single, 0, &ctx(&values), &[], None).unwrap_err(),
            TemplateError::OneUserIdOnly
        );
        let cookie = recipe(
            vec![literal("w")],
            vec![Param {
                name: "csrf".into(),
                value: Slot::Cookie {
                    name: "XSRF-TOKEN".into(),
                },
            }],
            None,
        );
        assert!(matches!(
            prepare(&cookie, 0, &ctx(&values), &[], None).unwrap_err(),
            TemplateError::CookieMissing { .. }
        ));
    }

    #[test]
    fn paging_stops_at_the_page_limit_whatever_the_answer_says() {
        let mut r = recipe(vec![literal("spaces")], Vec::new(), None);
        r.feature = Feature::Spaces;
        r.list = Some(ListShape {
            items: vec![PathStep::Key("list".into())],
            id_field: "id".into(),
            name_field: "name".into(),
            paging: Some(Paging {
                first: 1,
                step: 1,
                size: Some(10),
                stop: Stop::More {
                    path: vec![PathStep::Key("more".into())],
                },
            }),
        });
        let more = serde_json::json!({"more": true});
        assert_eq!(next_page(&r, 1, &more, 10, 10), Some(2));
        assert_eq!(
            next_page(&r, MAX_PAGES as i64, &more, 10, 10 * MAX_PAGES),
            None
        );
        // An empty page ends the list even when it claims more.
        assert_eq!(next_page(&r, 3, &more, 0, 20), None);
        assert_eq!(
            next_page(&r, 1, &serde_json::json!({"more": false}), 10, 10),
            None
        );
    }
}
