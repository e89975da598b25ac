//! Live recording (issue #22): a fresh browser profile with a session's cookies, opened on a
//! portal, recording the portal's own requests through the DevTools Network domain until the
//! user says stop (Enter, from the caller's `stop` token) or closes the tab or the browser.
//!
//! What is recorded is the same [`RecordedRequest`] a HAR file gives the learner
//! (`gopay_miniapp_recipes::har`), so there is one learner: the request (method, URL,
//! headers, the cookies sent — which the learner only uses to recognise a value echoed from a
//! cookie, and then drops —, the post data, from the event or
//! `Network.getRequestPostData`) and the answer (status, type, body from
//! the Fetch domain's `getResponseBody` while the answer is held, else
//! `Network.getResponseBody`). Only the portal's origin is recorded; the count of requests
//! and the size of each body and of all of them are bounded (`guard::limits`), like a HAR
//! file's. Nothing of it is logged; the profile (with the cookies) is deleted afterwards.
//!
//! The page's XHR and fetch answers are held at the response stage until their body is read
//! (the Fetch domain), so the page shows no answer that is not recorded: a user who closes the
//! tab as soon as the step shows its new state loses nothing. With `Network.getResponseBody`
//! alone a closed tab's last answers were lost (DevTools no longer hands out a closed tab's
//! bodies), and with them the status word the recipe records after a step.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use chromiumoxide::cdp::browser_protocol::fetch;
use chromiumoxide::cdp::browser_protocol::network::ResourceType;
use chromiumoxide::cdp::browser_protocol::network::{
    CookieParam, EnableParams, EventLoadingFailed, EventLoadingFinished, EventRequestWillBeSent,
    EventResponseReceived, GetCookiesParams, GetRequestPostDataParams, GetResponseBodyParams,
    Headers, RequestId, SetCookiesParams,
};
use chromiumoxide::cdp::browser_protocol::target::EventTargetDestroyed;
use chromiumoxide::Page;
use futures_util::StreamExt;
use gopay_miniapp_guard::limits::{HAR_FILE_MAX, JSON_ANSWER_MAX};
use gopay_miniapp_recipes::har::{RecordedBody, RecordedResponse, MAX_ENTRIES};
use gopay_miniapp_recipes::RecordedRequest;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::drive::{close_blank_tabs, devtools, launch};
use crate::{BrowserError, Started, Window};

/// How long one DevTools question about a request may take.
const ASK: Duration = Duration::from_secs(15);

/// What to record.
pub struct Recording<'a> {
    /// The portal's origin: only its requests are recorded, and the cookies are set for it.
    pub origin: &'a Url,
    /// Where the tab opens (on the portal's origin).
    pub start: &'a Url,
    /// The session's `Cookie` header value (`a=1; b=2`), set in the fresh profile.
    pub cookie: &'a str,
    pub window: Window,
    /// The whole recording, at most.
    pub timeout: Duration,
    /// The browser to start (default: [`crate::find_browser`]).
    pub executable: Option<PathBuf>,
}

/// Why the recording ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The caller's `stop` (the user pressed Enter).
    Asked,
    /// The user closed the tab.
    TabClosed,
    /// The user closed the browser.
    BrowserClosed,
}

/// What was recorded. `Debug` shows names only (see [`RecordedRequest`]).
#[derive(Debug)]
pub struct Recorded {
    pub requests: Vec<RecordedRequest>,
    pub stopped: Stopped,
    /// Requests or bodies left out by the bounds.
    pub left_out: usize,
}

/// Records `recording.origin`'s requests in a fresh browser until `stop`, the tab or the
/// browser closes; `on_started` hears when the tab is open. `cancel` ends it without a
/// recording ([`BrowserError::Cancelled`]).
pub async fn record(
    recording: &Recording<'_>,
    on_started: &(dyn Fn(&Started) + Send + Sync),
    stop: &CancellationToken,
    cancel: &CancellationToken,
) -> Result<Recorded, BrowserError> {
    let executable = crate::runnable(recording.executable.as_ref(), recording.window)?;
    let timed_out = |waiting: &str| BrowserError::TimedOut {
        after: recording.timeout,
        waiting: waiting.to_string(),
    };
    let deadline = tokio::time::Instant::now() + recording.timeout;
    let running = launch(executable, recording.window, deadline, cancel)
        .await
        .map_err(|e| e.unwrap_or_else(|| timed_out("the browser did not start")))?;
    let mut recorder = Recorder::new(recording.origin.clone());
    let result = tokio::select! {
        result = watch(&running.browser, recording, &running.started, on_started, &mut recorder, stop, &running.gone) => result,
        _ = cancel.cancelled() => Err(BrowserError::Cancelled),
        _ = tokio::time::sleep_until(deadline) => Err(timed_out("the step was not done and Enter was not pressed")),
    };
    // The answers asked for come in before the browser closes.
    let requests = match result {
        Ok(_) => recorder.finish().await,
        Err(_) => Vec::new(),
    };
    running.shut().await;
    let stopped = result?;
    Ok(Recorded {
        requests,
        stopped,
        left_out: recorder.left_out,
    })
}

/// Opens the tab with the cookies set, then records until one of the ends.
async fn watch(
    browser: &chromiumoxide::Browser,
    recording: &Recording<'_>,
    started: &Started,
    on_started: &(dyn Fn(&Started) + Send + Sync),
    recorder: &mut Recorder,
    stop: &CancellationToken,
    gone: &CancellationToken,
) -> Result<Stopped, BrowserError> {
    let tab = browser.new_page("about:blank").await.map_err(devtools)?;
    close_blank_tabs(browser, &tab).await;
    let mut network = Network {
        will: tab.event_listener().await.map_err(devtools)?,
        answered: tab.event_listener().await.map_err(devtools)?,
        finished: tab.event_listener().await.map_err(devtools)?,
        failed: tab.event_listener().await.map_err(devtools)?,
        held: tab.event_listener().await.map_err(devtools)?,
    };
    let mut destroyed = browser
        .event_listener::<EventTargetDestroyed>()
        .await
        .map_err(devtools)?;
    tab.execute(EnableParams::default())
        .await
        .map_err(devtools)?;
    // A browser that refuses to hold answers is still recorded, through the Network domain
    // alone (with the closed-tab limit above).
    if let Err(e) = tab.execute(hold_answers(recording.origin)).await {
        tracing::debug!(error = %e, "the browser does not hold answers (Fetch.enable)");
    }
    tab.execute(SetCookiesParams::new(cookie_params(
        recording.origin,
        recording.cookie,
    )))
    .await
    .map_err(devtools)?;
    on_started(started);
    // The navigation is not waited for: the user may close the tab while it loads.
    let navigate = tab.execute(
        chromiumoxide::cdp::browser_protocol::page::NavigateParams::new(recording.start.as_str()),
    );
    tokio::pin!(navigate);
    let mut navigating = true;
    // Biased: what the page did before an end is recorded before that end is taken.
    let stopped = loop {
        tokio::select! {
            biased;
            Some(event) = network.next() => recorder.record(&tab, event).await,
            _ = &mut navigate, if navigating => {
                // Its answer does not matter: a failed load shows on the page, and a tab
                // closed while loading never answers.
                navigating = false;
            }
            Some(event) = destroyed.next() => {
                if &event.target_id == tab.target_id() {
                    break Stopped::TabClosed;
                }
            }
            _ = gone.cancelled() => break Stopped::BrowserClosed,
            _ = stop.cancelled() => break Stopped::Asked,
        }
    };
    if stopped == Stopped::Asked {
        // Enter may come as the last answer arrives: what is on its way is recorded, until
        // the page is quiet for SETTLE (SETTLE_MAX at most).
        let until = tokio::time::Instant::now() + SETTLE_MAX;
        loop {
            tokio::select! {
                biased;
                Some(event) = network.next() => recorder.record(&tab, event).await,
                _ = tokio::time::sleep(SETTLE) => break,
                _ = tokio::time::sleep_until(until) => break,
            }
        }
    }
    // An answer whose `loadingFinished` did not reach us in time (a busy machine delivers the
    // events late; the tab may have been closed right after) is asked for now, while the
    // browser is still open: it is complete by then, or the question fails and it stays out.
    recorder.ask_missing_bodies(&tab);
    Ok(stopped)
}

/// How long the page must be quiet after Enter before the recording ends.
const SETTLE: Duration = Duration::from_millis(500);
const SETTLE_MAX: Duration = Duration::from_secs(5);

/// The Fetch domain's patterns: the origin's XHR and fetch answers, held at the response
/// stage. Only they make recipes; pages, scripts and images pass as they come.
fn hold_answers(origin: &Url) -> fetch::EnableParams {
    let url = format!("{}/*", origin.origin().ascii_serialization());
    let pattern = |kind: ResourceType| {
        fetch::RequestPattern::builder()
            .url_pattern(url.clone())
            .resource_type(kind)
            .request_stage(fetch::RequestStage::Response)
            .build()
    };
    fetch::EnableParams::builder()
        .pattern(pattern(ResourceType::Xhr))
        .pattern(pattern(ResourceType::Fetch))
        .build()
}

/// The tab's Network (and Fetch) events this recorder reads.
struct Network {
    will: chromiumoxide::listeners::EventStream<EventRequestWillBeSent>,
    answered: chromiumoxide::listeners::EventStream<EventResponseReceived>,
    finished: chromiumoxide::listeners::EventStream<EventLoadingFinished>,
    failed: chromiumoxide::listeners::EventStream<EventLoadingFailed>,
    held: chromiumoxide::listeners::EventStream<fetch::EventRequestPaused>,
}

enum Event {
    Will(std::sync::Arc<EventRequestWillBeSent>),
    Answered(std::sync::Arc<EventResponseReceived>),
    Finished(std::sync::Arc<EventLoadingFinished>),
    Failed(std::sync::Arc<EventLoadingFailed>),
    Held(std::sync::Arc<fetch::EventRequestPaused>),
}

impl Network {
    /// The next event, a request's before its answer's (cancel-safe: an event not returned
    /// stays in its stream); `None` once the tab's streams ended.
    async fn next(&mut self) -> Option<Event> {
        tokio::select! {
            biased;
            Some(e) = self.will.next() => Some(Event::Will(e)),
            Some(e) = self.answered.next() => Some(Event::Answered(e)),
            Some(e) = self.held.next() => Some(Event::Held(e)),
            Some(e) = self.finished.next() => Some(Event::Finished(e)),
            Some(e) = self.failed.next() => Some(Event::Failed(e)),
            else => None,
        }
    }
}

/// The session's cookies, for the portal's origin only. A CSRF cookie stays readable by the
/// page (it echoes it in a header); the others are HttpOnly, as a session cookie is.
fn cookie_params(origin: &Url, header: &str) -> Vec<CookieParam> {
    let url = origin.as_str().to_string();
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| !name.trim().is_empty())
        .map(|(name, value)| {
            let name = name.trim();
            let lower = name.to_ascii_lowercase();
            let readable = lower.contains("xsrf") || lower.contains("csrf");
            let mut cookie = CookieParam::new(name, value.trim());
            cookie.url = Some(url.clone());
            cookie.http_only = Some(!readable);
            cookie.secure = Some(origin.scheme() == "https");
            cookie
        })
        .collect()
}

/// The requests of one tab, as they come.
struct Recorder {
    origin: Url,
    /// In the order they were sent.
    requests: Vec<RecordedRequest>,
    /// The request id's entry in `requests` (the last one: a redirect reuses the id).
    by_id: HashMap<String, usize>,
    /// The answers' bodies asked for, by entry.
    bodies: Vec<(usize, tokio::task::JoinHandle<Option<Vec<u8>>>)>,
    /// Body bytes kept so far.
    bytes: u64,
    left_out: usize,
}

impl Recorder {
    fn new(origin: Url) -> Self {
        Recorder {
            origin,
            requests: Vec::new(),
            by_id: HashMap::new(),
            bodies: Vec::new(),
            bytes: 0,
            left_out: 0,
        }
    }

    /// The requests, with the answers' bodies asked for (each within [`ASK`]; the first one
    /// read of an answer is kept).
    async fn finish(&mut self) -> Vec<RecordedRequest> {
        let mut read = std::collections::HashSet::new();
        for (index, body) in std::mem::take(&mut self.bodies) {
            let Ok(Some(body)) = body.await else {
                continue;
            };
            if !read.insert(index) {
                continue;
            }
            if !self.budget(body.len()) {
                continue;
            }
            if let Some(response) = self
                .requests
                .get_mut(index)
                .and_then(|e| e.response.as_mut())
            {
                response.body = body;
            }
        }
        std::mem::take(&mut self.requests)
    }

    /// Takes `len` bytes from the budget of all bodies, if they fit in it and in one body's.
    fn budget(&mut self, len: usize) -> bool {
        let len = len as u64;
        if len > JSON_ANSWER_MAX || self.bytes + len > HAR_FILE_MAX {
            self.left_out += 1;
            return false;
        }
        self.bytes += len;
        true
    }

    async fn record(&mut self, tab: &Page, event: Event) {
        match event {
            Event::Will(e) => self.will_be_sent(tab, &e).await,
            Event::Answered(e) => self.answered(&e),
            Event::Finished(e) => self.finished(tab, &e.request_id),
            Event::Failed(e) => self.failed(&e.request_id),
            Event::Held(e) => self.held(tab, &e),
        }
    }

    fn entry(&mut self, id: &RequestId) -> Option<&mut RecordedRequest> {
        let index = *self.by_id.get(id.inner())?;
        self.requests.get_mut(index)
    }

    async fn will_be_sent(&mut self, tab: &Page, event: &EventRequestWillBeSent) {
        let id = event.request_id.inner().clone();
        // A redirect: the earlier request ends with the redirect's answer.
        if let (Some(redirect), Some(entry)) =
            (&event.redirect_response, self.entry(&event.request_id))
        {
            entry.response = Some(RecordedResponse {
                status: u16::try_from(redirect.status).unwrap_or(0),
                mime_type: redirect.mime_type.clone(),
                body: Vec::new(),
            });
            self.by_id.remove(&id);
        }
        let Ok(url) = Url::parse(&event.request.url) else {
            return;
        };
        if !gopay_miniapp_guard::url::same_origin(&url, &self.origin) {
            return;
        }
        if self.requests.len() >= MAX_ENTRIES {
            self.left_out += 1;
            return;
        }
        let mut request = RecordedRequest::new(&event.request.method, url);
        request.headers = headers(&event.request.headers);
        request.started_ms = Some((*event.wall_time.inner() * 1000.0) as i64);
        if event.request.has_post_data == Some(true) {
            let text = match post_data_of(event) {
                Some(text) => Some(text),
                None => ask(tab, GetRequestPostDataParams::new(event.request_id.clone()))
                    .await
                    .map(|r| r.post_data),
            };
            if let Some(text) = text {
                if self.budget(text.len()) {
                    request.body = Some(RecordedBody {
                        mime_type: request
                            .header("content-type")
                            .unwrap_or_default()
                            .to_string(),
                        text,
                    });
                }
            }
        }
        // The cookies sent, as a HAR lists them: the jar's for this URL as it is sent. (The
        // network stack's own `Cookie` header, `requestWillBeSentExtraInfo`, mostly does not
        // reach this client from Debian's Chromium: its cookie type no longer parses.)
        if let Some(jar) = ask(
            tab,
            GetCookiesParams {
                urls: Some(vec![request.url.to_string()]),
            },
        )
        .await
        {
            request.cookies = jar.cookies.into_iter().map(|c| (c.name, c.value)).collect();
        }
        self.by_id.insert(id, self.requests.len());
        self.requests.push(request);
    }

    fn answered(&mut self, event: &EventResponseReceived) {
        if let Some(entry) = self.entry(&event.request_id) {
            entry.response = Some(RecordedResponse {
                status: u16::try_from(event.response.status).unwrap_or(0),
                mime_type: event.response.mime_type.clone(),
                body: Vec::new(),
            });
        }
    }

    /// Asks for the answer's body at once, without waiting for it (the page goes on, and the
    /// user may close the tab right after): [`Recorder::finish`] collects it. An answer that
    /// was held has been read already.
    fn finished(&mut self, tab: &Page, id: &RequestId) {
        let Some(&index) = self.by_id.get(id.inner()) else {
            return;
        };
        if self.requests[index].response.is_none() || self.asked(index) {
            return;
        }
        self.ask_body(tab, index, id.clone());
    }

    fn asked(&self, index: usize) -> bool {
        self.bodies.iter().any(|(asked, _)| *asked == index)
    }

    /// An answer held at the response stage: its body is read, then the page gets it, in a
    /// task of its own (the page waits for that answer, not for the others). Every held answer
    /// goes on, recorded or not. Its status and type are recorded from the held headers too:
    /// the tab may close before `responseReceived` reaches this client.
    fn held(&mut self, tab: &Page, event: &fetch::EventRequestPaused) {
        let status = event
            .response_status_code
            .and_then(|code| u16::try_from(code).ok());
        // A redirect has no body to read, an error no answer.
        let readable = status.filter(|code| !(300..400).contains(code));
        let index = event
            .network_id
            .as_ref()
            .and_then(|id| self.by_id.get(id.inner()).copied())
            .filter(|_| readable.is_some());
        if let (Some(index), Some(status)) = (index, readable) {
            self.requests[index]
                .response
                .get_or_insert_with(|| RecordedResponse {
                    status,
                    mime_type: held_content_type(event),
                    body: Vec::new(),
                });
        }
        let tab = tab.clone();
        let id = event.request_id.clone();
        let body = tokio::spawn(async move {
            let body = match index {
                Some(_) => ask(&tab, fetch::GetResponseBodyParams::new(id.clone()))
                    .await
                    .map(|answer| body_bytes(answer.body, answer.base64_encoded)),
                None => None,
            };
            ask(&tab, fetch::ContinueRequestParams::new(id)).await;
            body
        });
        if let Some(index) = index {
            self.bodies.push((index, body));
        }
    }

    /// Asks for the body of every answered request whose body was not asked for yet.
    fn ask_missing_bodies(&mut self, tab: &Page) {
        let missing: Vec<(usize, RequestId)> = self
            .by_id
            .iter()
            .filter(|(_, &index)| self.requests[index].response.is_some())
            .filter(|(_, &index)| !self.asked(index))
            .map(|(id, &index)| (index, RequestId::new(id.clone())))
            .collect();
        for (index, id) in missing {
            self.ask_body(tab, index, id);
        }
    }

    fn ask_body(&mut self, tab: &Page, index: usize, id: RequestId) {
        let tab = tab.clone();
        let body = tokio::spawn(async move {
            let answer = ask(&tab, GetResponseBodyParams::new(id)).await?;
            Some(body_bytes(answer.body, answer.base64_encoded))
        });
        self.bodies.push((index, body));
    }

    fn failed(&mut self, id: &RequestId) {
        // No answer: the request stays, as in a HAR (status 0 is no response).
        self.by_id.remove(id.inner());
    }
}

/// One question about the tab's recording, within [`ASK`]: a tab closing meanwhile never
/// answers, and the recording goes on without it.
async fn ask<C: chromiumoxide::types::Command>(tab: &Page, command: C) -> Option<C::Response> {
    tokio::time::timeout(ASK, tab.execute(command))
        .await
        .ok()?
        .ok()
        .map(|r| r.result)
}

/// A body as DevTools hands it over (binary bodies in base64).
fn body_bytes(body: String, base64_encoded: bool) -> Vec<u8> {
    if base64_encoded {
        base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .unwrap_or_default()
    } else {
        body.into_bytes()
    }
}

/// The MIME type of a held answer (its `Content-Type` without parameters), as
/// `responseReceived` would say it.
fn held_content_type(event: &fetch::EventRequestPaused) -> String {
    event
        .response_headers
        .iter()
        .flatten()
        .find(|h| h.name.eq_ignore_ascii_case("content-type"))
        .map(|h| {
            h.value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// The post data the event carries (its entries' bytes, base64), when it carries it whole.
fn post_data_of(event: &EventRequestWillBeSent) -> Option<String> {
    let entries = event.request.post_data_entries.as_ref()?;
    let mut bytes = Vec::new();
    for entry in entries {
        let part: &str = entry.bytes.as_ref()?.as_ref();
        bytes.extend(
            base64::engine::general_purpose::STANDARD
                .decode(part.as_bytes())
                .ok()?,
        );
    }
    String::from_utf8(bytes).ok()
}

/// A DevTools header object as name/value pairs (a repeated header is joined by newlines).
fn headers(headers: &Headers) -> Vec<(String, String)> {
    let Some(map) = headers.inner().as_object() else {
        return Vec::new();
    };
    map.iter()
        .filter_map(|(name, value)| Some((name.clone(), value.as_str()?.to_string())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_go_to_the_origin_and_only_a_csrf_one_is_readable() {
        let origin = Url::parse("http://127.0.0.1:8780/").unwrap();
        let cookies = cookie_params(&origin, "SA=s1; XSRF-TOKEN=x=2 ; ;bad");
        let seen: Vec<_> = cookies
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.value.as_str(),
                    c.http_only,
                    c.url.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("SA", "s1", Some(true), Some("http://127.0.0.1:8780/")),
                (
                    "XSRF-TOKEN",
                    "x=2",
                    Some(false),
                    Some("http://127.0.0.1:8780/")
                ),
            ]
        );
    }

    #[test]
    fn bodies_are_bounded_one_by_one_and_together() {
        let mut r = Recorder::new(Url::parse("http://127.0.0.1/").unwrap());
        assert!(!r.budget(JSON_ANSWER_MAX as usize + 1));
        for _ in 0..(HAR_FILE_MAX / JSON_ANSWER_MAX) {
            assert!(r.budget(JSON_ANSWER_MAX as usize));
        }
        assert!(!r.budget(1));
        assert_eq!(r.left_out, 2);
    }
}
