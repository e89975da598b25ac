//! Issue #20 item 5: a portal answering 307/308 to another origin never gets the request
//! (the login's JSON body with the password, a bearer token) sent on to that origin, on either
//! backend's client. Two real loopback servers: the "portal" redirects, the other origin
//! records every byte it is sent.

use std::sync::{Arc, Mutex};

use gopay_miniapp_portal::native::client::{Credentials, PortalClient};
use gopay_miniapp_portal::retry::RetryPolicy;
use gopay_miniapp_portal::superapp::http::Http;
use gopay_miniapp_portal::PortalError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const NO_RETRY: RetryPolicy = RetryPolicy {
    retries: 0,
    initial_delay: std::time::Duration::ZERO,
    max_delay: std::time::Duration::ZERO,
};

/// A server recording what it receives, answering 200 `{}` to each request.
async fn recorder() -> (String, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = conn.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    log.lock().unwrap().extend_from_slice(&buf[..n]);
                    let _ = conn
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
                        .await;
                }
            });
        }
    });
    (url, seen)
}

/// A "portal" answering every request with `status` to the same path on `to`.
async fn redirector(status: u16, to: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let to = to.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // Read the head; the body may follow, it does not matter here.
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&request);
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let answer = format!(
                    "HTTP/1.1 {status} Redirect\r\nLocation: {to}{path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = conn.write_all(answer.as_bytes()).await;
            });
        }
    });
    url
}

#[tokio::test]
async fn no_credential_follows_a_redirect_to_another_origin() {
    for status in [307, 308] {
        let (other, seen) = recorder().await;
        let portal = redirector(status, other.clone()).await;

        // The native login: a JSON body with the password.
        let client = PortalClient::new(&portal, Credentials::None)
            .unwrap()
            .with_retry(NO_RETRY);
        let err = client.login("alice", "s3cret-password").await.unwrap_err();
        assert!(matches!(err, PortalError::Protocol { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains("redirected to another origin") && message.contains(&other),
            "{message}"
        );

        // A bearer token.
        let client = PortalClient::new(&portal, Credentials::AccessToken("gpm_pat_secret".into()))
            .unwrap()
            .with_retry(NO_RETRY);
        client.me().await.unwrap_err();

        // The SuperApp backend's client: a session cookie.
        let console = Http::new(&portal).unwrap().with_retry(NO_RETRY);
        console.set_cookie(Some("SESSION=secret-cookie".into()));
        console.get("/api/whatever", &[]).await.unwrap_err();

        let seen = String::from_utf8_lossy(&seen.lock().unwrap()).to_string();
        assert!(
            seen.is_empty(),
            "{status}: the other origin received:\n{seen}"
        );
    }
}

#[tokio::test]
async fn a_redirect_on_the_same_origin_is_still_followed() {
    // One server: every path but /moved/… answers 307 to /moved/… on itself.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let moved = Arc::new(Mutex::new(false));
    let seen = moved.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&request).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let answer = if path.starts_with("/moved/") {
                    *seen.lock().unwrap() = head.contains("Bearer t");
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".to_string()
                } else {
                    format!("HTTP/1.1 307 Moved\r\nLocation: /moved{path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                };
                let _ = conn.write_all(answer.as_bytes()).await;
            });
        }
    });
    let client = PortalClient::new(&url, Credentials::AccessToken("t".into()))
        .unwrap()
        .with_retry(NO_RETRY);
    // `{}` is not a user: whatever error that gives, the redirect itself was followed.
    let _ = client.me().await;
    assert!(
        *moved.lock().unwrap(),
        "the same-origin redirect was not followed"
    );
}
