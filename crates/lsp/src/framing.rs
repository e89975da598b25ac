//! The framing filter between the client and tower-lsp.
//!
//! tower-lsp-server's own reader stops for good at the first frame it cannot decode (its
//! `FramedRead` ends the stream after an error), waits forever on a `Content-Length` that
//! lies, and buffers any size it is told. So the sidecar reads stdin itself:
//!
//! - [`FrameDecoder`] cuts the byte stream into frames: headers up to [`MAX_HEADER_BYTES`],
//!   `Content-Length` required (any case; `Content-Type` and other headers ignored), bodies up
//!   to a limit (16 MiB by default). Bad headers are answered and skipped; a body over the
//!   limit is answered and discarded as it streams by, without buffering it. Whenever the
//!   stream is out of step (garbage, a length too small or too large) the decoder resyncs at
//!   the next `Content-Length` header it finds.
//! - [`classify`] checks each body is one JSON-RPC 2.0 message tower-lsp can take: invalid
//!   JSON is answered with ParseError, batches, non-objects, wrong `jsonrpc`, bad ids and
//!   methods with InvalidRequest (with the message's id when it has a usable one), bad
//!   `params` of a request with InvalidParams. Malformed responses from the client are
//!   dropped (a malformed error response is turned into a well-formed one, so the request
//!   waiting for it ends). What passes is re-serialized canonically and handed to tower-lsp
//!   through an in-memory pipe.
//! - One writer owns stdout: tower-lsp's frames (re-cut from its own pipe) and our error
//!   replies are written whole, one at a time, so they never interleave.

use std::io;

use bytes::{Buf, Bytes, BytesMut};
use memchr::memmem;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Request, Response};

use crate::errors::{INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR};

/// Longest header block accepted.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
/// Largest body accepted unless configured otherwise.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Bytes kept back while discarding, so a header cut by a read boundary is still found.
const SCAN_OVERLAP: usize = 64;
/// What a header block's end is looked for in: a blank line starting within the limit.
const HEADER_WINDOW: usize = MAX_HEADER_BYTES + 4;
/// A resync point is `Content-Length:`, at most this many spaces, at most
/// [`MAX_LENGTH_DIGITS`] digits and CRLF: 15 + 16 + 20 + 2 bytes, under [`SCAN_OVERLAP`].
const MAX_HEADER_SPACES: usize = 16;
const MAX_LENGTH_DIGITS: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    HeaderTooLong,
    BadHeader(String),
    MissingContentLength,
    BadContentLength(String),
    TooLarge {
        length: usize,
        limit: usize,
    },
    /// A new message started before the declared length was reached.
    Truncated {
        length: usize,
        received: usize,
    },
}

impl FrameError {
    pub fn rpc_code(&self) -> i64 {
        match self {
            FrameError::TooLarge { .. } => INVALID_REQUEST,
            _ => PARSE_ERROR,
        }
    }

    pub fn message(&self) -> String {
        match self {
            FrameError::HeaderTooLong => {
                format!("no end of the message header within {MAX_HEADER_BYTES} bytes; expected `Content-Length: N\\r\\n\\r\\n`")
            }
            FrameError::BadHeader(line) => format!("malformed header line `{line}`"),
            FrameError::MissingContentLength => "the message header has no Content-Length".into(),
            FrameError::BadContentLength(v) => format!("Content-Length `{v}` is not a byte count"),
            FrameError::Truncated { length, received } => format!(
                "a message declared {length} bytes but a new message started after {received}; the truncated one was skipped"
            ),
            FrameError::TooLarge { length, limit } => {
                format!("a message of {length} bytes is over the limit of {limit} bytes; it was skipped")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Frame(Bytes),
    Error(FrameError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Header,
    Body(usize),
    /// Discarding an over-long body: bytes left.
    Skip(usize),
}

/// Cuts `Content-Length` frames out of a byte stream (pure; fed by [`read_input`]).
#[derive(Debug)]
pub struct FrameDecoder {
    state: State,
    max_body: usize,
    /// How much of a partial body was already searched for a header.
    scanned: usize,
}

impl FrameDecoder {
    pub fn new(max_body: usize) -> Self {
        FrameDecoder {
            state: State::Header,
            max_body,
            scanned: 0,
        }
    }

    /// The next frame or framing error in `buf`, consuming what it used; `None` when more
    /// bytes are needed.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Option<Decoded> {
        loop {
            match self.state {
                State::Header => {
                    // Blank lines between messages are tolerated.
                    let lead = buf
                        .iter()
                        .take_while(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
                        .count();
                    buf.advance(lead);
                    if buf.is_empty() {
                        return None;
                    }
                    // A header block is too long when no blank line starts within
                    // MAX_HEADER_BYTES. Decided on the same window however the stream was cut
                    // into reads (so what follows does not depend on the cutting: found by
                    // fuzz/lsp_framing).
                    let end = memmem::find(&buf[..buf.len().min(HEADER_WINDOW)], b"\r\n\r\n");
                    let Some(end) = end.filter(|&end| end <= MAX_HEADER_BYTES) else {
                        if buf.len() >= HEADER_WINDOW {
                            resync(buf, HEADER_WINDOW);
                            return Some(Decoded::Error(FrameError::HeaderTooLong));
                        }
                        return None;
                    };
                    // Garbage glued in front of a header (not at a line start) is skipped up
                    // to it, even when the lines before it happen to parse: otherwise their
                    // length would eat the real message (found by fuzz/lsp_framing). A line
                    // starts after CRLF only, as `parse_header` splits them: a header after a
                    // bare LF is glued to the junk before it (crash-d98d5e0c…).
                    let glued = find_header(&buf[1..end + 4])
                        .map(|k| k + 1)
                        .filter(|&k| !buf[..k].ends_with(b"\r\n"));
                    if let Some(k) = glued {
                        let junk = String::from_utf8_lossy(&buf[..k])
                            .chars()
                            .take(80)
                            .collect();
                        buf.advance(k);
                        return Some(Decoded::Error(FrameError::BadHeader(junk)));
                    }
                    match parse_header(&buf[..end]) {
                        Ok(length) => {
                            buf.advance(end + 4);
                            if length > self.max_body {
                                self.state = State::Skip(length);
                                return Some(Decoded::Error(FrameError::TooLarge {
                                    length,
                                    limit: self.max_body,
                                }));
                            }
                            self.state = State::Body(length);
                            self.scanned = 0;
                        }
                        Err(err) => {
                            // A bad header block is skipped whole.
                            buf.advance(end + 4);
                            return Some(Decoded::Error(err));
                        }
                    }
                }
                State::Body(length) => {
                    // A header inside the body (impossible in JSON: raw CR/LF) means the
                    // message was truncated: resync there instead of waiting for bytes that
                    // belong to the next message. Searched in a complete body too, so the
                    // outcome does not depend on whether the body arrived in one read or
                    // many (found by fuzz/lsp_framing). Headers are shorter than the overlap
                    // and cannot overlap each other, so the incremental search finds the
                    // same first header as a search of the whole body.
                    let available = buf.len().min(length);
                    let from = self.scanned.saturating_sub(SCAN_OVERLAP);
                    if let Some(k) = find_header(&buf[from..available]).map(|k| k + from) {
                        buf.advance(k);
                        self.state = State::Header;
                        return Some(Decoded::Error(FrameError::Truncated {
                            length,
                            received: k,
                        }));
                    }
                    if buf.len() < length {
                        self.scanned = buf.len();
                        return None;
                    }
                    self.state = State::Header;
                    return Some(Decoded::Frame(buf.split_to(length).freeze()));
                }
                State::Skip(remaining) => {
                    if buf.is_empty() {
                        return None;
                    }
                    let available = buf.len().min(remaining);
                    // A complete header inside the bytes being discarded means the length was
                    // a lie (a truncated message): start again there. Only a header wholly
                    // inside them counts, as in a body, whatever the reads hold beyond.
                    if let Some(k) = find_header(&buf[..available]) {
                        buf.advance(k);
                        self.state = State::Header;
                        continue;
                    }
                    let consume = if available >= remaining {
                        remaining
                    } else {
                        available.saturating_sub(SCAN_OVERLAP)
                    };
                    if consume == 0 {
                        return None;
                    }
                    buf.advance(consume);
                    self.state = if consume == remaining {
                        State::Header
                    } else {
                        State::Skip(remaining - consume)
                    };
                    if self.state == State::Header {
                        continue;
                    }
                    return None;
                }
            }
        }
    }
}

/// Drops bytes up to the next header start within the first `window` bytes (after the first
/// byte), or all of the window but a short tail.
fn resync(buf: &mut BytesMut, window: usize) {
    let window = buf.len().min(window);
    match find_header_loose(&buf[1..window]) {
        Some(k) => buf.advance(k + 1),
        None => buf.advance(window - window.min(SCAN_OVERLAP)),
    }
}

/// Where `Content-Length:` (any case) starts, followed by spaces, digits and CRLF: a header
/// that cannot occur inside a JSON body (raw CR/LF are not allowed in JSON strings).
pub fn find_header(hay: &[u8]) -> Option<usize> {
    for at in memmem::find_iter(hay, b"ontent-") {
        if at == 0 {
            continue;
        }
        let start = at - 1;
        let rest = &hay[start..];
        if rest.len() < 16 || !rest[..15].eq_ignore_ascii_case(b"content-length:") {
            continue;
        }
        // Bounded, so a header is shorter than SCAN_OVERLAP and an incremental search with
        // that overlap finds every header a search of the whole finds.
        let spaces = rest[15..]
            .iter()
            .take(MAX_HEADER_SPACES + 1)
            .take_while(|&&b| b == b' ')
            .count();
        let i = 15 + spaces;
        let digits = rest[i..]
            .iter()
            .take(MAX_LENGTH_DIGITS + 1)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if spaces <= MAX_HEADER_SPACES
            && (1..=MAX_LENGTH_DIGITS).contains(&digits)
            && rest[i + digits..].starts_with(b"\r\n")
        {
            return Some(start);
        }
    }
    None
}

/// Where `Content-Length` (any case) starts, whatever follows.
fn find_header_loose(hay: &[u8]) -> Option<usize> {
    memmem::find_iter(hay, b"ontent-")
        .filter(|&at| at > 0)
        .map(|at| at - 1)
        .find(|&start| {
            hay.len() >= start + 14
                && hay[start..start + 14].eq_ignore_ascii_case(b"content-length")
        })
}

fn parse_header(block: &[u8]) -> Result<usize, FrameError> {
    let text = std::str::from_utf8(block).map_err(|_| {
        FrameError::BadHeader(String::from_utf8_lossy(block).chars().take(80).collect())
    })?;
    let mut length: Option<usize> = None;
    for line in text.split("\r\n") {
        let Some((name, value)) = line.split_once(':') else {
            return Err(FrameError::BadHeader(line.chars().take(80).collect()));
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            let value = value.trim();
            let parsed: usize = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
                value
                    .parse()
                    .map_err(|_| FrameError::BadContentLength(value.chars().take(40).collect()))?
            } else {
                return Err(FrameError::BadContentLength(
                    value.chars().take(40).collect(),
                ));
            };
            if length.is_some_and(|l| l != parsed) {
                return Err(FrameError::BadContentLength(format!(
                    "{} and {parsed} (two different lengths)",
                    length.unwrap_or_default()
                )));
            }
            length = Some(parsed);
        }
        // Content-Type and anything else: ignored (the body must be UTF-8 JSON anyway).
    }
    length.ok_or(FrameError::MissingContentLength)
}

/// What to do with one frame's body.
#[derive(Debug)]
pub enum Classified {
    /// A message tower-lsp can take, re-serialized.
    Forward(Vec<u8>),
    /// An error response to send back (a complete frame).
    Reply(Vec<u8>),
    /// Nothing to do (a malformed response or notification), with why.
    Ignore(String),
}

pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

pub fn error_frame(id: Value, code: i64, message: &str, data: Option<Value>) -> Vec<u8> {
    let mut error = json!({"code": code, "message": message});
    if let Some(data) = data {
        error["data"] = data;
    }
    frame(
        serde_json::to_string(&json!({"jsonrpc": "2.0", "id": id, "error": error}))
            .expect("serializable")
            .as_bytes(),
    )
}

fn reply(id: Value, code: i64, message: &str) -> Classified {
    let data = json!({
        "code": if code == PARSE_ERROR { "parse_error" } else if code == INVALID_PARAMS { "invalid_params" } else { "invalid_request" },
        "message": message,
        "hint": "send one JSON-RPC 2.0 object per frame: Content-Length: N\\r\\n\\r\\n{\"jsonrpc\":\"2.0\",…}",
        "retryable": false,
    });
    Classified::Reply(error_frame(id, code, message, Some(data)))
}

/// A usable JSON-RPC id: an integer that fits i64, or a string.
fn valid_id(id: &Value) -> bool {
    id.is_string() || id.is_i64()
}

/// Checks one body (see the module doc).
pub fn classify(body: &[u8]) -> Classified {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return reply(Value::Null, PARSE_ERROR, &format!("invalid JSON: {e}")),
    };
    let obj = match &value {
        Value::Object(obj) => obj,
        Value::Array(_) => {
            return reply(
                Value::Null,
                INVALID_REQUEST,
                "batch messages (JSON arrays) are not supported: send one message per frame",
            )
        }
        _ => {
            return reply(
                Value::Null,
                INVALID_REQUEST,
                "a message must be a JSON object",
            )
        }
    };
    let id = obj.get("id");
    let id_for_reply = id.filter(|i| valid_id(i)).cloned().unwrap_or(Value::Null);
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        if !obj.contains_key("method") && is_response(obj) {
            return Classified::Ignore("a response without jsonrpc 2.0".into());
        }
        return reply(id_for_reply, INVALID_REQUEST, "`jsonrpc` must be \"2.0\"");
    }
    if let Some(method) = obj.get("method") {
        let Some(method) = method.as_str().filter(|m| !m.is_empty()) else {
            if id.is_none() {
                return Classified::Ignore("a notification without a method name".into());
            }
            return reply(
                id_for_reply,
                INVALID_REQUEST,
                "`method` must be a non-empty string",
            );
        };
        if let Some(id) = id {
            if !valid_id(id) {
                return reply(
                    Value::Null,
                    INVALID_REQUEST,
                    "a request `id` must be an integer or a string",
                );
            }
        }
        let params = obj.get("params");
        if let Some(p) = params {
            if !(p.is_object() || p.is_array() || p.is_null()) {
                if id.is_none() {
                    return Classified::Ignore(format!(
                        "{method}: params must be an object or an array"
                    ));
                }
                return reply(
                    id_for_reply,
                    INVALID_PARAMS,
                    &format!("{method}: `params` must be an object or an array"),
                );
            }
        }
        let mut canonical = json!({"jsonrpc": "2.0", "method": method});
        if let Some(p) = params.filter(|p| !p.is_null()) {
            canonical["params"] = p.clone();
        }
        if let Some(id) = id {
            canonical["id"] = id.clone();
        }
        return match serde_json::from_value::<Request>(canonical.clone()) {
            Ok(_) => Classified::Forward(serde_json::to_vec(&canonical).expect("serializable")),
            Err(e) => reply(
                id_for_reply,
                INVALID_REQUEST,
                &format!("not a JSON-RPC request: {e}"),
            ),
        };
    }
    // A response to one of our requests.
    if !is_response(obj) {
        if id.is_some_and(valid_id) {
            return reply(
                id_for_reply,
                INVALID_REQUEST,
                "a message needs a `method` (request, notification) or a `result`/`error` (response)",
            );
        }
        return reply(
            Value::Null,
            INVALID_REQUEST,
            "a message needs a `method` (request, notification) or a `result`/`error` (response)",
        );
    }
    let Some(id) = id.filter(|i| valid_id(i)) else {
        return Classified::Ignore("a response without a usable id".into());
    };
    let canonical = match (obj.get("result"), obj.get("error")) {
        (Some(result), None) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        (None, Some(error)) => {
            let well_formed = error.get("code").is_some_and(Value::is_i64)
                && error.get("message").is_some_and(Value::is_string)
                && error.as_object().is_some_and(|e| {
                    e.keys()
                        .all(|k| k == "code" || k == "message" || k == "data")
                });
            if well_formed {
                json!({"jsonrpc": "2.0", "id": id, "error": error})
            } else {
                json!({"jsonrpc": "2.0", "id": id, "error": {
                    "code": crate::errors::INTERNAL_ERROR,
                    "message": format!("malformed error from the client: {error}"),
                }})
            }
        }
        _ => return Classified::Ignore("a response with both result and error".into()),
    };
    match serde_json::from_value::<Response>(canonical.clone()) {
        Ok(_) => Classified::Forward(serde_json::to_vec(&canonical).expect("serializable")),
        Err(e) => Classified::Ignore(format!("an unreadable response: {e}")),
    }
}

fn is_response(obj: &serde_json::Map<String, Value>) -> bool {
    obj.contains_key("result") || obj.contains_key("error")
}

/// Reads the client's bytes until EOF: frames that pass go to `server` (tower-lsp's input),
/// replies go to `replies` (the writer). Returns at EOF or when tower-lsp stopped reading.
pub async fn read_input<R, W>(
    mut input: R,
    server: &mut W,
    replies: mpsc::Sender<Vec<u8>>,
    max_body: usize,
) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut decoder = FrameDecoder::new(max_body);
    let mut buf = BytesMut::with_capacity(64 * 1024);
    loop {
        while let Some(decoded) = decoder.decode(&mut buf) {
            match decoded {
                Decoded::Error(err) => {
                    tracing::warn!("bad frame from the client: {}", err.message());
                    let _ = replies
                        .send(error_frame(
                            Value::Null,
                            err.rpc_code(),
                            &err.message(),
                            Some(json!({
                                "code": if err.rpc_code() == PARSE_ERROR { "parse_error" } else { "too_large" },
                                "message": err.message(),
                                "hint": "frames are `Content-Length: N\\r\\n\\r\\n` followed by N bytes of UTF-8 JSON",
                                "retryable": false,
                            })),
                        ))
                        .await;
                }
                Decoded::Frame(body) => match classify(&body) {
                    Classified::Forward(message) => {
                        if tracing::enabled!(tracing::Level::TRACE) {
                            tracing::trace!("<- {}", crate::redact::loggable(&message));
                        }
                        server.write_all(&frame(&message)).await?;
                        server.flush().await?;
                    }
                    Classified::Reply(reply) => {
                        tracing::warn!("invalid message from the client answered with an error");
                        // The length may have been wrong: a header inside the body is where
                        // the stream really goes on.
                        if serde_json::from_slice::<Value>(&body).is_err() {
                            if let Some(k) = find_header_loose(&body) {
                                let mut rest = BytesMut::with_capacity(body.len() - k + buf.len());
                                rest.extend_from_slice(&body[k..]);
                                rest.extend_from_slice(&buf);
                                buf = rest;
                            }
                        }
                        let _ = replies.send(reply).await;
                    }
                    Classified::Ignore(why) => tracing::warn!("ignored a message: {why}"),
                },
            }
        }
        if buf.capacity() - buf.len() < 16 * 1024 {
            buf.reserve(64 * 1024);
        }
        let n = input.read_buf(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
    }
}

/// Re-cuts tower-lsp's (well-formed) output into whole frames for the writer.
pub async fn forward_server_output<R: AsyncRead + Unpin>(mut from: R, to: mpsc::Sender<Vec<u8>>) {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut writer_gone = false;
    loop {
        // Cut every complete frame in the buffer.
        while let Some(end) = memmem::find(&buf, b"\r\n\r\n") {
            let length = match parse_header(&buf[..end]) {
                Ok(l) => l,
                Err(e) => {
                    tracing::error!("unreadable frame from tower-lsp: {e:?}");
                    buf.advance(end + 4);
                    continue;
                }
            };
            if buf.len() < end + 4 + length {
                break;
            }
            let whole = buf.split_to(end + 4 + length).to_vec();
            if tracing::enabled!(tracing::Level::TRACE) {
                tracing::trace!("-> {}", crate::redact::loggable(&whole[end + 4..]));
            }
            if !writer_gone && to.send(whole).await.is_err() {
                // The client is gone: keep draining so tower-lsp never blocks on its pipe.
                writer_gone = true;
            }
        }
        match from.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// The only writer of the client's stream.
pub async fn write_output<W: AsyncWrite + Unpin>(mut out: W, mut frames: mpsc::Receiver<Vec<u8>>) {
    while let Some(frame) = frames.recv().await {
        if let Err(e) = async {
            out.write_all(&frame).await?;
            out.flush().await
        }
        .await
        {
            tracing::info!("the client's stream is closed ({e}); dropping output");
            // Drain so senders never block.
            while frames.recv().await.is_some() {}
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(decoder: &mut FrameDecoder, bytes: &[u8]) -> Vec<Decoded> {
        let mut buf = BytesMut::from(bytes);
        let mut out = vec![];
        while let Some(d) = decoder.decode(&mut buf) {
            out.push(d);
        }
        out
    }

    const OK: &[u8] = b"Content-Length: 2\r\n\r\n{}";

    #[test]
    fn frames_and_errors() {
        let mut d = FrameDecoder::new(100);
        assert_eq!(
            decode_all(&mut d, OK),
            vec![Decoded::Frame(Bytes::from_static(b"{}"))]
        );
        let mut input = b"Content-Type: x\r\n\r\n".to_vec();
        input.extend_from_slice(OK);
        let out = decode_all(&mut FrameDecoder::new(100), &input);
        assert_eq!(out[0], Decoded::Error(FrameError::MissingContentLength));
        assert_eq!(out[1], Decoded::Frame(Bytes::from_static(b"{}")));
        let mut input = b"Content-Length: abc\r\n\r\n".to_vec();
        input.extend_from_slice(OK);
        let out = decode_all(&mut FrameDecoder::new(100), &input);
        assert!(matches!(
            out[0],
            Decoded::Error(FrameError::BadContentLength(_))
        ));
        assert_eq!(out[1], Decoded::Frame(Bytes::from_static(b"{}")));
        let mut input = b"garbage{\"x\":1}".to_vec();
        input.extend_from_slice(OK);
        let out = decode_all(&mut FrameDecoder::new(100), &input);
        assert!(matches!(out[0], Decoded::Error(_)), "{out:?}");
        assert_eq!(out.last(), Some(&Decoded::Frame(Bytes::from_static(b"{}"))));
        // lowercase header name, extra headers, blank lines between frames
        let out = decode_all(
            &mut FrameDecoder::new(100),
            b"\r\ncontent-length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}",
        );
        assert_eq!(out, vec![Decoded::Frame(Bytes::from_static(b"{}"))]);
    }

    #[test]
    fn too_large_is_skipped_without_buffering_and_a_lying_length_resyncs() {
        let mut d = FrameDecoder::new(10);
        let mut input = b"Content-Length: 30\r\n\r\n".to_vec();
        input.extend_from_slice(&[b'a'; 30]);
        input.extend_from_slice(OK);
        let out = decode_all(&mut d, &input);
        assert_eq!(
            out,
            vec![
                Decoded::Error(FrameError::TooLarge {
                    length: 30,
                    limit: 10
                }),
                Decoded::Frame(Bytes::from_static(b"{}"))
            ]
        );
        // Declared 10^9 bytes, sent 5, then a good frame: the good frame is found.
        let mut d = FrameDecoder::new(10);
        let mut input = b"Content-Length: 1000000000\r\n\r\nabcde".to_vec();
        input.extend_from_slice(OK);
        let out = decode_all(&mut d, &input);
        assert_eq!(out.last(), Some(&Decoded::Frame(Bytes::from_static(b"{}"))));
    }

    /// Decodes `bytes` fed in reads of `step` bytes (usize::MAX: all at once).
    fn decode_in_reads(bytes: &[u8], step: usize, max_body: usize) -> Vec<Decoded> {
        let mut decoder = FrameDecoder::new(max_body);
        let mut buf = BytesMut::new();
        let mut out = vec![];
        for piece in bytes.chunks(step.min(bytes.len()).max(1)) {
            buf.extend_from_slice(piece);
            while let Some(d) = decoder.decode(&mut buf) {
                out.push(d);
            }
        }
        out
    }

    /// Found by fuzz/lsp_framing (crash-b4c9707e…): a body holding a header was taken whole
    /// when it arrived in one read, but cut at that header when it arrived in pieces, so the
    /// message inside it reached tower-lsp once or twice depending on the reads. Every
    /// decision is now made on the same bytes however the stream is cut.
    #[test]
    fn what_is_decoded_does_not_depend_on_how_the_reads_are_cut() {
        let inner = frame(br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#);
        let mut header_in_body = b"Content-Length: 120\r\n\r\n[[[[".to_vec();
        header_in_body.extend_from_slice(&inner);
        header_in_body.resize(24 + 120 + 10, b']');
        header_in_body.extend_from_slice(&inner);
        // A header whose CRLF lies just past the declared body.
        let mut straddling = b"Content-Length: 20\r\n\r\n[[[Content-Length: 9".to_vec();
        straddling.extend_from_slice(b"\r\n\r\n{}");
        straddling.extend_from_slice(&inner);
        // Over the limit, with a header straddling the end of the skipped bytes.
        let mut skipped = b"Content-Length: 100\r\n\r\n".to_vec();
        skipped.extend_from_slice(&[b'x'; 90]);
        skipped.extend_from_slice(b"Content-Length: 2\r\n\r\n{}");
        skipped.extend_from_slice(&inner);
        // A header block around the limit, with and without its blank line inside it.
        let mut long_header = b"X-Pad: ".to_vec();
        long_header.resize(MAX_HEADER_BYTES - 20, b'a');
        long_header.extend_from_slice(b"\r\nContent-Length: 2\r\n\r\n{}");
        long_header.extend_from_slice(&inner);
        let mut too_long = b"X-Pad: ".to_vec();
        too_long.resize(MAX_HEADER_BYTES + 2, b'a');
        too_long.extend_from_slice(b"\r\n\r\n");
        too_long.extend_from_slice(&inner);
        let fuzzed = include_bytes!(
            "../../../fuzz/corpus/lsp_framing/crash-b4c9707e599975b29e10eee0b3a001a074e362c6"
        );
        for (name, input, max_body) in [
            ("header in body", &header_in_body[..], 4096),
            ("straddling", &straddling, 4096),
            ("skipped", &skipped, 80),
            ("long header", &long_header, 4096),
            ("too long", &too_long, 4096),
            ("fuzzed", &fuzzed[1..], 4096),
        ] {
            let whole = decode_in_reads(input, usize::MAX, max_body);
            for step in [1, 2, 3, 7, 64, 300] {
                assert_eq!(
                    decode_in_reads(input, step, max_body),
                    whole,
                    "{name}, reads of {step} bytes"
                );
            }
            if name != "fuzzed" {
                assert_eq!(
                    whole.last(),
                    Some(&Decoded::Frame(Bytes::copy_from_slice(&inner[22..]))),
                    "{name}: the last message is delivered"
                );
            }
        }
    }

    /// Found by fuzz/lsp_framing: a header line ending in JSON with the next message's header
    /// glued to it parsed as a block (`Content-Length: \n\r52`, then an "unknown header"), so
    /// its length ate the next message and part of the one after; both were lost.
    #[test]
    fn a_header_glued_to_junk_is_found_even_when_the_junk_parses() {
        let next = frame(br#"{"jsonrpc":"2.0","method":"fuzz/one","params":{}}"#);
        let last = frame(br#"{"jsonrpc":"2.0","id":"fuzz-2","method":"fuzz/two","params":{}}"#);
        for junk in [
            &b"Content-Length: \n\r52\r\n{\"jsonrpc\":\"2.0\",\"method\":\"inparams\":{}}"[..],
            b"Content-Length: 60\r\nX-Junk",
            // crash-d98d5e0c…: a line holding a colon and ending in a bare LF, right before
            // the next header, was taken as the same block, so its length ate the message.
            b"Content-Length: 50\r\n\rj\"{\nsonrp(\":\"2.0\",\x01\x02s\":\n",
        ] {
            let mut input = junk.to_vec();
            input.extend_from_slice(&next);
            input.extend_from_slice(&last);
            let out = decode_all(&mut FrameDecoder::new(300), &input);
            let frames: Vec<_> = out
                .iter()
                .filter_map(|d| match d {
                    Decoded::Frame(body) => Some(body.to_vec()),
                    Decoded::Error(_) => None,
                })
                .collect();
            assert_eq!(
                frames,
                vec![next[22..].to_vec(), last[22..].to_vec()],
                "{out:?}"
            );
            assert!(matches!(out[0], Decoded::Error(FrameError::BadHeader(_))));
        }
    }

    #[test]
    fn header_too_long() {
        let mut d = FrameDecoder::new(10);
        let mut input = vec![b'x'; MAX_HEADER_BYTES + 10];
        input.extend_from_slice(OK);
        let out = decode_all(&mut d, &input);
        assert_eq!(out[0], Decoded::Error(FrameError::HeaderTooLong));
        assert_eq!(out.last(), Some(&Decoded::Frame(Bytes::from_static(b"{}"))));
    }

    #[test]
    fn classification() {
        let forward = |s: &str| matches!(classify(s.as_bytes()), Classified::Forward(_));
        let replied = |s: &str| match classify(s.as_bytes()) {
            Classified::Reply(bytes) => String::from_utf8(bytes).unwrap(),
            other => panic!("{s}: {other:?}"),
        };
        assert!(forward(
            r#"{"jsonrpc":"2.0","id":1,"method":"x","params":{}}"#
        ));
        assert!(forward(r#"{"jsonrpc":"2.0","method":"x"}"#));
        assert!(forward(r#"{"jsonrpc":"2.0","id":"a","result":null}"#));
        assert!(forward(
            r#"{"jsonrpc":"2.0","id":3,"error":{"code":1,"message":"m","extra":1}}"#
        ));
        assert!(replied("{").contains("-32700"));
        assert!(replied("[]").contains("-32600"));
        assert!(replied("5").contains("-32600"));
        assert!(replied(r#"{"jsonrpc":"1.0","id":1,"method":"x"}"#).contains(r#""id":1"#));
        assert!(replied(r#"{"jsonrpc":"2.0","id":null,"method":"x"}"#).contains("-32600"));
        assert!(replied(r#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#).contains("-32600"));
        assert!(replied(r#"{"jsonrpc":"2.0","id":{},"method":"x"}"#).contains("-32600"));
        assert!(replied(r#"{"jsonrpc":"2.0","id":1,"method":5}"#).contains("-32600"));
        assert!(
            replied(r#"{"jsonrpc":"2.0","id":1,"method":"x","params":"s"}"#).contains("-32602")
        );
        assert!(replied(r#"{"jsonrpc":"2.0","id":1}"#).contains("-32600"));
        assert!(matches!(
            classify(br#"{"jsonrpc":"2.0","method":"x","params":3}"#),
            Classified::Ignore(_)
        ));
        assert!(matches!(
            classify(br#"{"jsonrpc":"2.0","id":1,"result":1,"error":{}}"#),
            Classified::Ignore(_)
        ));
    }
}
