//! EMULATOR-ONLY: a console user of the emulator over HTTP, for the demo and scripts. It logs
//! in on the form of `/login` as a browser would submit it (no browser needed, so the demo
//! runs on machines without Chrome; the client backend's own logins are the browser's and
//! the Cookie header's), and takes what only the emulator has: a target-app administrator's
//! review decision (`POST /emulator/review`; a real console's admins review in the console).

use reqwest::header::{COOKIE, ORIGIN, SET_COOKIE};
use serde_json::Value;

use super::review::{Decision, ReviewBody};
use super::{FIREWALL, LOGIN, REVIEW, SESSION_COOKIE};

/// What went wrong talking to the emulator, in words for a person.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ClientError(String);

/// A logged-in console session on the emulator at `url`.
pub struct ConsoleSession {
    url: String,
    http: reqwest::Client,
    cookie: String,
}

/// The cookie is a session: never in `Debug`.
impl std::fmt::Debug for ConsoleSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleSession")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl ConsoleSession {
    /// Logs in with the login page's form (`POST /login`) and keeps the session cookie.
    pub async fn log_in(url: &str, username: &str, password: &str) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ClientError(format!("cannot set up HTTP: {e}")))?;
        let answer = http
            .post(format!("{url}{}", LOGIN.path))
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .map_err(|e| ClientError(format!("the emulator's login page did not answer: {e}")))?;
        let cookie = answer
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .find(|pair| pair.starts_with(SESSION_COOKIE))
            .map(str::to_string)
            .ok_or_else(|| {
                ClientError(format!(
                    "the emulator's login as {username} set no session cookie (HTTP {})",
                    answer.status()
                ))
            })?;
        Ok(ConsoleSession {
            url: url.to_string(),
            http,
            cookie,
        })
    }

    /// The session as a `Cookie` header (`name=secret`), e.g. for the client backend's cookie
    /// login. A secret: never print it.
    pub fn cookie(&self) -> &str {
        &self.cookie
    }

    /// Decides on the release of `version` of the MiniApp `app_id` to the target app
    /// `channel_code` (console ids) as this session's user, who must administer that target
    /// app; returns the release's `versionStatus` after it.
    pub async fn review(
        &self,
        app_id: &str,
        channel_code: &str,
        version: &str,
        decision: Decision,
        reason: &str,
    ) -> Result<String, ClientError> {
        let body = ReviewBody {
            app_id: app_id.to_string(),
            channel_code: channel_code.to_string(),
            version: version.to_string(),
            decision: decision.wire().to_string(),
            reason: reason.to_string(),
        };
        let response = self
            .http
            .post(format!("{}{}", self.url, REVIEW.path))
            .header(COOKIE, &self.cookie)
            .header(ORIGIN, &self.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| ClientError(format!("the emulator's review route did not answer: {e}")))?;
        // Bounded like every answer read from outside (guard::limits).
        let bytes = gopay_miniapp_guard::limits::read_body(
            response,
            gopay_miniapp_guard::limits::BodyKind::JsonAnswer,
        )
        .await
        .map_err(|e| ClientError(e.to_string()))?;
        let answer: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ClientError(format!("the emulator's review answer is not JSON: {e}")))?;
        if answer["success"] != true {
            let what = match decision {
                Decision::Approve => "approval",
                Decision::Reject => "rejection",
            };
            return Err(ClientError(format!(
                "the emulator refused the {what}: {}",
                answer["errorMsg"]
            )));
        }
        Ok(answer["data"]["versionStatus"]
            .as_str()
            .unwrap_or("?")
            .to_string())
    }

    /// Switches the emulator's anti-bot browser check on or off (`POST /emulator/firewall`):
    /// while on, every `/rest/` route answers with the firewall's challenge page.
    pub async fn set_firewall(url: &str, challenge: bool) -> Result<(), ClientError> {
        let answer = reqwest::Client::new()
            .post(format!("{url}{}", FIREWALL.path))
            .json(&serde_json::json!({ "challenge": challenge }))
            .send()
            .await
            .map_err(|e| {
                ClientError(format!(
                    "the emulator's firewall switch did not answer: {e}"
                ))
            })?;
        if !answer.status().is_success() {
            return Err(ClientError(format!(
                "the emulator's firewall switch answered HTTP {}",
                answer.status()
            )));
        }
        Ok(())
    }
}
