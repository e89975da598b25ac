//! The framing filter in front of tower-lsp (crates/lsp/src/framing.rs).
//!
//! Input: one control byte (how the stream is cut into reads, which body limit applies), then
//! the bytes the client sends. Properties, for any bytes and any cutting:
//! - `FrameDecoder` never panics and never holds more than the header limit or the body
//!   limit in its buffer while waiting for bytes; a frame is never over the body limit;
//! - `read_input` (the real reader) ends at EOF; everything it hands tower-lsp is a sequence of
//!   `Content-Length: N\r\n\r\n` frames whose N bytes are one JSON-RPC 2.0 object tower-lsp
//!   reads as a request or a response; every answer it sends the client is one such frame
//!   holding an error response;
//! - it resynchronises: after any bytes, two valid messages follow, and the second one reaches
//!   tower-lsp, last;
//! - what reaches tower-lsp does not depend on how the stream was cut into reads.
#![no_main]

use std::io;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use bytes::BytesMut;
use gopay_miniapp_lsp::framing::{
    frame, read_input, Decoded, FrameDecoder, DEFAULT_MAX_BODY_BYTES, MAX_HEADER_BYTES,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Request, Response};

const SENTINEL_1: &[u8] = br#"{"jsonrpc":"2.0","method":"fuzz/one","params":{}}"#;
const SENTINEL_2: &[u8] = br#"{"jsonrpc":"2.0","id":"fuzz-2","method":"fuzz/two","params":{}}"#;

fuzz_target!(|data: &[u8]| {
    let Some((&control, stream)) = data.split_first() else {
        return;
    };
    let max_body = match (control >> 4) & 3 {
        // Not below the sentinels' size (64 bytes): they must fit.
        0 => 80,
        1 => 300,
        2 => 4096,
        _ => DEFAULT_MAX_BODY_BYTES,
    };
    let cuts = Cuts::new(control);

    decoder_invariants(stream, cuts.clone(), max_body);

    let (whole_forwarded, _) = run(stream, Cuts::whole(), max_body);
    let (forwarded, replies) = run(stream, cuts.clone(), max_body);
    let messages = check_frames(&forwarded, "to tower-lsp");
    for message in &messages {
        check_message(message);
    }
    for reply in &replies {
        let bodies = check_frames(reply, "reply");
        assert_eq!(bodies.len(), 1, "a reply is one frame");
        let body = &bodies[0];
        assert_eq!(body["jsonrpc"], "2.0");
        assert!(body["error"]["code"].is_i64(), "{body}");
        assert!(body["error"]["message"].is_string(), "{body}");
        assert!(
            body["id"].is_null() || body["id"].is_i64() || body["id"].is_string(),
            "{body}"
        );
    }
    assert_eq!(
        String::from_utf8_lossy(&whole_forwarded),
        String::from_utf8_lossy(&forwarded),
        "what reaches tower-lsp depends on how the reads were cut"
    );

    let mut followed = stream.to_vec();
    followed.extend_from_slice(&frame(SENTINEL_1));
    followed.extend_from_slice(&frame(SENTINEL_2));
    let (forwarded, _) = run(&followed, cuts, max_body);
    let messages = check_frames(&forwarded, "to tower-lsp");
    let last = messages
        .last()
        .expect("the valid messages after the bytes reach tower-lsp");
    assert_eq!(
        last["id"], "fuzz-2",
        "the last valid message is delivered last: {last}"
    );
});

/// How the stream is cut into reads: all at once, or pieces of pseudo-random sizes.
#[derive(Clone)]
struct Cuts {
    state: u32,
    max: usize,
}

impl Cuts {
    fn new(control: u8) -> Self {
        let max = match control & 3 {
            0 => usize::MAX,
            1 => 1,
            2 => 7,
            _ => 300,
        };
        Cuts {
            state: 0x9e37_79b9 ^ u32::from(control),
            max,
        }
    }

    fn whole() -> Self {
        Cuts {
            state: 1,
            max: usize::MAX,
        }
    }

    fn next(&mut self) -> usize {
        if self.max == usize::MAX {
            return usize::MAX;
        }
        // xorshift32
        self.state ^= self.state << 13;
        self.state ^= self.state >> 17;
        self.state ^= self.state << 5;
        1 + (self.state as usize) % self.max
    }
}

struct CutReader<'a> {
    data: &'a [u8],
    cuts: Cuts,
}

impl AsyncRead for CutReader<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = self.cuts.next().min(self.data.len()).min(buf.remaining());
        let (piece, rest) = self.data.split_at(n);
        buf.put_slice(piece);
        self.data = rest;
        Poll::Ready(Ok(()))
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    })
}

/// Runs the real reader over `stream`: the bytes it gave tower-lsp, and its replies.
fn run(stream: &[u8], cuts: Cuts, max_body: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    runtime().block_on(async {
        let (tx, mut rx) = mpsc::channel(16);
        let mut server = Vec::new();
        let reader = CutReader { data: stream, cuts };
        let collect = async {
            let mut replies = Vec::new();
            while let Some(reply) = rx.recv().await {
                replies.push(reply);
            }
            replies
        };
        let (result, replies) =
            tokio::join!(read_input(reader, &mut server, tx, max_body), collect);
        result.expect("reading from memory does not fail");
        (server, replies)
    })
}

fn decoder_invariants(stream: &[u8], mut cuts: Cuts, max_body: usize) {
    let mut decoder = FrameDecoder::new(max_body);
    let mut buf = BytesMut::new();
    let mut rest = stream;
    loop {
        while let Some(decoded) = decoder.decode(&mut buf) {
            if let Decoded::Frame(body) = decoded {
                assert!(body.len() <= max_body, "a frame of {} bytes", body.len());
            }
        }
        assert!(
            // A header block's end is looked for in its limit plus the blank line.
            buf.len() < (MAX_HEADER_BYTES + 4).max(max_body),
            "the decoder holds {} bytes while waiting",
            buf.len()
        );
        if rest.is_empty() {
            return;
        }
        let n = cuts.next().min(rest.len());
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
    }
}

/// Cuts `bytes` into `Content-Length` frames (the only header) of JSON; all bytes must be used.
fn check_frames(mut bytes: &[u8], what: &str) -> Vec<Value> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(40)]).into_owned();
        let rest = bytes
            .strip_prefix(b"Content-Length: ")
            .unwrap_or_else(|| panic!("{what}: not a header: {text:?}"));
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let length: usize = std::str::from_utf8(&rest[..digits])
            .unwrap()
            .parse()
            .unwrap();
        let rest = rest[digits..]
            .strip_prefix(b"\r\n\r\n")
            .unwrap_or_else(|| panic!("{what}: bad header end: {text:?}"));
        assert!(rest.len() >= length, "{what}: a frame is cut short");
        let value: Value = serde_json::from_slice(&rest[..length])
            .unwrap_or_else(|e| panic!("{what}: a frame is not JSON ({e})"));
        assert!(value.is_object(), "{what}: {value}");
        out.push(value);
        bytes = &rest[length..];
    }
    out
}

/// One message tower-lsp takes: JSON-RPC 2.0, a request/notification or a response.
fn check_message(message: &Value) {
    assert_eq!(message["jsonrpc"], "2.0", "{message}");
    let ok = if message.get("method").is_some() {
        serde_json::from_value::<Request>(message.clone()).is_ok()
    } else {
        serde_json::from_value::<Response>(message.clone()).is_ok()
    };
    assert!(ok, "tower-lsp would not read {message}");
}
