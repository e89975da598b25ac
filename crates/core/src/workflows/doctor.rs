//! `doctor`: a user's first contact with a portal. Which API the URL speaks (the same probe
//! as [`super::detect`]), what that backend can do, and what each of its known READ routes
//! answers, without a session and with the stored one. Never a write, never a token
//! refresh; the session is sent, never shown.

use gopay_miniapp_portal::probe::{self, AnswerKind, ProbeIds, RouteAnswer};
use gopay_miniapp_portal::{Backend, Capabilities, PortalError, PortalOptions};
use serde::Serialize;

use crate::context::Context;
use crate::credentials::portal_key;
use crate::error::{CoreError, ErrorReport};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DoctorReport {
    pub portal: String,
    /// The API the portal speaks; `None` when it answers as neither backend.
    pub backend: Option<Backend>,
    /// Why no backend was recognised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<ErrorReport>,
    /// What the backend can do through its API (everything else is done on its pages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
    pub session: SessionUse,
    /// The ids the routes were asked with (from the binding, when it is for this portal).
    pub ids: UsedIds,
    pub routes: Vec<RouteAnswer>,
    /// The portal's anti-bot firewall answered (some route) with its browser check instead
    /// of the API: `problem` says to log in through the browser again.
    pub browser_check: bool,
}

/// Whether a stored session was sent (never the session itself).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionUse {
    /// A session for this portal is stored (and its store could be read).
    pub stored: bool,
    /// Which store holds it (the OS keyring or the credentials file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<crate::credentials::SessionStore>,
    /// It was sent (stored for the backend the portal speaks).
    pub sent: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_backend: Option<Backend>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsedIds {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub space_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_app_id: Option<String>,
}

impl DoctorReport {
    /// The routes answered as the backend would (success or its own refusal shape), i.e. the
    /// portal is usable by this tool.
    pub fn healthy(&self) -> bool {
        !self.browser_check
            && self.backend.is_some()
            && !self.routes.is_empty()
            && self
                .routes
                .iter()
                .all(|r| !matches!(r.kind, AnswerKind::Unreachable | AnswerKind::Unexpected))
    }

    /// The stored session was sent and some route said it is lost.
    pub fn session_lost(&self) -> bool {
        self.session.sent
            && self
                .routes
                .iter()
                .any(|r| r.with_session && r.kind == AnswerKind::LostSession)
    }
}

/// Probes the current portal (`--portal`, else the binding's, else the last one).
pub async fn doctor(ctx: &Context) -> Result<DoctorReport, CoreError> {
    let portal = ctx.portal_url()?;
    let binding = ctx
        .binding()
        .ok()
        .flatten()
        .filter(|b| portal_key(&b.portal) == portal);
    let store = ctx.credentials();
    let stored = store.get(&portal)?;
    let mut session = SessionUse {
        stored: stored.is_some(),
        store: store.stored_in(&portal)?,
        sent: false,
        username: stored.as_ref().map(|s| s.username.clone()),
        stored_backend: stored.as_ref().map(|s| s.backend),
    };
    let mut browser_check = None;
    let backend = match gopay_miniapp_portal::detect(&portal).await {
        Ok(backend) => backend,
        // The firewall stopped the probe: only a SuperApp console (GoPay's, on Alibaba
        // Cloud) sits behind it. Its routes are still asked, to show what each one answers.
        Err(err @ PortalError::BrowserCheck { .. }) => {
            browser_check = Some(CoreError::from(err));
            Backend::Superapp
        }
        Err(err @ PortalError::Protocol { .. }) => {
            // Its usual hint is to run doctor: this is doctor, so it has none.
            let problem = CoreError::from(err)
                .report(&|_| String::new())
                .without_hint();
            return Ok(DoctorReport {
                portal,
                backend: None,
                problem: Some(problem),
                capabilities: None,
                session,
                ids: UsedIds::default(),
                routes: Vec::new(),
                browser_check: false,
            });
        }
        Err(err) => return Err(err.into()),
    };
    let ids = match &binding {
        Some(b) => UsedIds {
            space_id: Some(b.space.id.clone()),
            app_id: Some(b.app.id.clone()),
            target_app_id: b.target_apps.first().map(|t| t.id.clone()),
        },
        None => UsedIds::default(),
    };
    let sent = stored
        .as_ref()
        .filter(|s| s.backend == backend)
        .map(|s| s.session.clone());
    session.sent = sent.is_some();
    let routes = probe::probe_reads(
        backend,
        &portal,
        sent.as_ref(),
        &ProbeIds {
            space_id: ids.space_id.clone(),
            app_id: ids.app_id.clone(),
            target_app_id: ids.target_app_id.clone(),
        },
    )
    .await?;
    let capabilities = gopay_miniapp_portal::open(backend, &portal, PortalOptions::default())?
        .capabilities()
        .clone();
    if browser_check.is_none() {
        if let Some(route) = routes.iter().find(|r| r.kind == AnswerKind::BrowserCheck) {
            browser_check = Some(CoreError::from(PortalError::BrowserCheck {
                url: format!("{portal}{}", route.path),
            }));
        }
    }
    // Worded by the front end that prints the report (its hint names its own way to log in
    // with the browser).
    let problem = browser_check
        .as_ref()
        .map(|err| err.report(&|_| String::new()));
    Ok(DoctorReport {
        portal,
        backend: Some(backend),
        browser_check: problem.is_some(),
        problem,
        capabilities: Some(capabilities),
        session,
        ids,
        routes,
    })
}
