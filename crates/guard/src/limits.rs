//! How much is read from outside: every HTTP body, every file of the project or of the tool's
//! home, and every line of build output waiting for an editor has a limit, so that a hostile
//! or broken portal, project or build cannot take the memory (a portal sending an endless body
//! once took `doctor` to 11 GB). docs/security.md, "Packages and reads" lists the values.
//!
//! HTTP bodies are read with [`read_body`] (or [`read_body_prefix`] where only the start
//! matters), streaming: a body is never held past its limit, whatever its `Content-Length`
//! says, and one over the limit is a typed error naming the limit.

use bytes::{Bytes, BytesMut};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// A JSON answer of a portal API: the largest real ones are lists (versions, releases, audit
/// entries) of some hundred KiB; this is fifty times that.
pub const JSON_ANSWER_MAX: u64 = 16 * MIB;
/// The body of an error answer (4xx, 5xx): an error envelope is under a KiB; a gateway's HTML
/// error page a few KiB. Only its start is read; the rest is ignored, not an error.
pub const ERROR_BODY_MAX: u64 = 64 * KIB;
/// An HTML page read to find something in it (a login page, a probe of what a portal is).
pub const HTML_PAGE_MAX: u64 = 2 * MIB;
/// A download (a QR image, a package): the largest package a portal accepts by default is
/// 50 MiB.
pub const DOWNLOAD_MAX: u64 = 64 * MIB;

/// A file of the project read whole: package.json, gopay-miniapp.json (real ones are a few
/// KiB; npm's largest manifests are about 100 KiB).
pub const PROJECT_FILE_MAX: u64 = MIB;
/// package-lock.json, read whole to bump its version (a large project's is tens of MiB).
pub const LOCK_FILE_MAX: u64 = 64 * MIB;
/// A file of the tool's own home read whole (credentials.json, the publish journal).
pub const HOME_FILE_MAX: u64 = MIB;
/// A HAR file the user saved from their browser (`learn --har`): it holds every answer of the
/// recorded pages (a console's lists, its scripts when the browser kept them); a few minutes of
/// a console's traffic is a few MiB.
pub const HAR_FILE_MAX: u64 = 64 * MIB;
/// A route recipe (crates/recipes): a few requests of a few fields each, some KiB; a shared
/// project's recipe is outside data.
pub const RECIPE_FILE_MAX: u64 = 256 * KIB;

/// Build output lines waiting for a slow editor: at most this many are queued; when the queue
/// is full the oldest waiting ones are dropped and counted, and the editor is told how many
/// were left out (the full output is in the build's log).
pub const EDITOR_OUTPUT_QUEUE: usize = 1_000;
/// A line of build output sent to an editor is cut at this many bytes (a minified bundle
/// printed as one line would otherwise be one message of many MiB).
pub const EDITOR_LINE_MAX: usize = 4 * 1024;

/// What kind of HTTP body is read: each has its own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    JsonAnswer,
    ErrorBody,
    HtmlPage,
    Download,
}

impl BodyKind {
    /// The limit in bytes.
    pub const fn limit(self) -> u64 {
        match self {
            BodyKind::JsonAnswer => JSON_ANSWER_MAX,
            BodyKind::ErrorBody => ERROR_BODY_MAX,
            BodyKind::HtmlPage => HTML_PAGE_MAX,
            BodyKind::Download => DOWNLOAD_MAX,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            BodyKind::JsonAnswer => "answer",
            BodyKind::ErrorBody => "error answer",
            BodyKind::HtmlPage => "page",
            BodyKind::Download => "download",
        }
    }
}

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body is longer than its kind's limit (by its `Content-Length`, or counted): reading
    /// stopped there.
    #[error("the {} from {url} is larger than {} ({limit} bytes), the most this client reads; it stopped reading", kind.describe(), human_size(*limit))]
    TooLarge {
        url: String,
        kind: BodyKind,
        limit: u64,
    },
    /// The connection failed while reading.
    #[error("reading the answer from {url} failed: {source}")]
    Read {
        url: String,
        #[source]
        source: reqwest::Error,
    },
}

impl BodyError {
    /// The error of the transfer itself, for callers that classify it (timeouts, resets).
    pub fn reqwest(&self) -> Option<&reqwest::Error> {
        match self {
            BodyError::Read { source, .. } => Some(source),
            BodyError::TooLarge { .. } => None,
        }
    }
}

fn human_size(bytes: u64) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads the whole body of `response`, refusing one over `kind`'s limit: at once when its
/// `Content-Length` says so, or as soon as the bytes counted pass it (a body that never ends
/// is read up to the limit, never further).
pub async fn read_body(response: reqwest::Response, kind: BodyKind) -> Result<Bytes, BodyError> {
    read_body_within(response, kind, kind.limit()).await
}

/// [`read_body`] with an explicit limit (tests, and callers with a tighter one).
pub async fn read_body_within(
    mut response: reqwest::Response,
    kind: BodyKind,
    limit: u64,
) -> Result<Bytes, BodyError> {
    let url = response.url().to_string();
    let too_large = |url: String| BodyError::TooLarge { url, kind, limit };
    if response.content_length().is_some_and(|len| len > limit) {
        return Err(too_large(url));
    }
    let mut body = BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() as u64 + chunk.len() as u64 > limit {
                    return Err(too_large(url));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body.freeze()),
            Err(source) => return Err(BodyError::Read { url, source }),
        }
    }
}

/// The first `kind.limit()` bytes of the body of `response` and whether there was more (the
/// rest is not read: the connection is dropped). For bodies whose start says enough: error
/// answers.
pub async fn read_body_prefix(
    mut response: reqwest::Response,
    kind: BodyKind,
) -> Result<(Bytes, bool), BodyError> {
    let url = response.url().to_string();
    let limit = kind.limit() as usize;
    let mut body = BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    return Ok((body.freeze(), true));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok((body.freeze(), false)),
            Err(source) => return Err(BodyError::Read { url, source }),
        }
    }
}

/// Why a file could not be read within its limit.
#[derive(Debug, thiserror::Error)]
pub enum FileReadError {
    #[error("{} is larger than {} ({limit} bytes), more than such a file ever needs; check that it is the right file", path.display(), human_size(*limit))]
    TooLarge {
        path: std::path::PathBuf,
        limit: u64,
    },
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl FileReadError {
    /// The I/O error, when it is one (`NotFound` is often not an error for the caller).
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            FileReadError::Io { source, .. } => Some(source.kind()),
            FileReadError::TooLarge { .. } => None,
        }
    }
}

/// Reads a whole file of at most `limit` bytes; a larger one (or one that grows past the limit
/// while it is read, or a device that never ends) is refused after `limit + 1` bytes.
pub fn read_file(path: &std::path::Path, limit: u64) -> Result<Vec<u8>, FileReadError> {
    use std::io::Read;
    let io = |source| FileReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(FileReadError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(bytes)
}

/// [`read_file`] as an `io::Result`, for callers that handle I/O errors already (a missing
/// file stays `NotFound`); a file over the limit is an `InvalidData` error naming the limit.
pub fn read_file_io(path: &std::path::Path, limit: u64) -> std::io::Result<Vec<u8>> {
    read_file(path, limit).map_err(|err| match err {
        FileReadError::Io { source, .. } => source,
        FileReadError::TooLarge { limit, .. } => std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "it is larger than {} ({limit} bytes), more than such a file ever needs; check that it is the right file",
                human_size(limit)
            ),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A local server answering every connection with `head` and then `body_chunk` forever
    /// (or `chunks` times), chunked.
    async fn server(status: &'static str, chunks: Option<usize>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    let mut request = [0u8; 4096];
                    let _ = socket.read(&mut request).await;
                    let head = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                    );
                    if socket.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    let chunk = vec![b' '; 64 * 1024];
                    let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                    framed.extend_from_slice(&chunk);
                    framed.extend_from_slice(b"\r\n");
                    let mut sent = 0;
                    while chunks.is_none_or(|n| sent < n) {
                        if socket.write_all(&framed).await.is_err() {
                            return;
                        }
                        sent += 1;
                    }
                    let _ = socket.write_all(b"0\r\n\r\n").await;
                });
            }
        });
        format!("http://{addr}/")
    }

    #[tokio::test]
    async fn an_endless_body_stops_at_the_limit_with_a_typed_error() {
        let url = server("200 OK", None).await;
        let response = reqwest::get(&url).await.unwrap();
        let err = read_body_within(response, BodyKind::JsonAnswer, 4 * MIB)
            .await
            .unwrap_err();
        assert!(
            matches!(err, BodyError::TooLarge { limit, .. } if limit == 4 * MIB),
            "{err}"
        );
        assert!(err.to_string().contains("4 MiB"), "{err}");

        // A body within the limit is read whole; the prefix of a longer one is cut.
        let url = server("200 OK", Some(2)).await;
        let body = read_body(reqwest::get(&url).await.unwrap(), BodyKind::JsonAnswer)
            .await
            .unwrap();
        assert_eq!(body.len(), 128 * 1024);
        let url = server("502 Bad Gateway", None).await;
        let (start, more) =
            read_body_prefix(reqwest::get(&url).await.unwrap(), BodyKind::ErrorBody)
                .await
                .unwrap();
        assert_eq!(start.len() as u64, ERROR_BODY_MAX);
        assert!(more);
    }

    #[test]
    fn files_are_read_within_their_limit() {
        let dir = std::env::temp_dir().join(format!("guard-limits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("package.json");
        std::fs::write(&path, vec![b' '; 2048]).unwrap();
        assert_eq!(read_file(&path, 2048).unwrap().len(), 2048);
        let err = read_file(&path, 2047).unwrap_err();
        assert!(
            matches!(err, FileReadError::TooLarge { limit: 2047, .. }),
            "{err}"
        );
        // A device that never ends is refused at the limit, not read for ever.
        let err = read_file(std::path::Path::new("/dev/zero"), 1024).unwrap_err();
        assert!(matches!(err, FileReadError::TooLarge { .. }), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
