//! `workspace/executeCommand`: the arguments are checked against the command table, the
//! command runs as a job in its own task (with its cancellation token, reporter and
//! prompter), and its result or error is answered once the task has finished — cleanup
//! included, also when it was cancelled. One handler per command, one file each.

use std::sync::Arc;

use gopay_miniapp_core::Context;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::ExecuteCommandParams;

use crate::commands::{self, CommandId, CommandSpec};
use crate::errors::CommandError;
use crate::progress::JobReporter;
use crate::prompter::LspPrompter;
use crate::service::REQUEST;
use crate::state::Shared;

mod apply_release;
mod bind;
mod cancel_release;
mod check_user_ids;
mod list_apps;
mod list_spaces;
mod list_target_apps;
mod list_versions;
mod login;
mod logout;
mod official_release;
mod pack;
mod publish;
mod release;
mod rollback;
mod set_whitelist;
mod start_grayscale;
mod status;
mod temporary_code;
mod wait_for_review;
mod withdraw_release;

/// Fields every command may have (those its table row lists).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Common {
    project: Option<String>,
    portal: Option<String>,
    token: Option<String>,
    #[serde(default)]
    yes: bool,
}

/// What a handler gets.
pub struct Cx {
    pub shared: Arc<Shared>,
    pub spec: &'static CommandSpec,
    /// The project's context (portal and token from the arguments applied).
    pub ctx: Context,
    pub reporter: Arc<JobReporter>,
    pub prompter: Arc<LspPrompter>,
    pub cancel: CancellationToken,
    args: Map<String, Value>,
}

impl Cx {
    /// The handler's own argument struct (fields already checked against the table).
    pub fn args<T: DeserializeOwned>(&self) -> Result<T, CommandError> {
        parse_args(&self.args)
    }
}

pub(crate) fn parse_args<T: DeserializeOwned>(
    args: &Map<String, Value>,
) -> Result<T, CommandError> {
    let without_nulls: Map<String, Value> = args
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    serde_json::from_value(Value::Object(without_nulls)).map_err(|e| {
        CommandError::invalid_params(
            "invalid_params",
            format!("bad arguments: {e}"),
            "see docs/protocol.md",
        )
    })
}

/// Runs the handler of `id`.
async fn dispatch(id: CommandId, cx: &Cx) -> Result<Value, CommandError> {
    match id {
        CommandId::Status => status::run(cx).await,
        CommandId::Login => login::run(cx).await,
        CommandId::Logout => logout::run(cx).await,
        CommandId::ListSpaces => list_spaces::run(cx).await,
        CommandId::ListApps => list_apps::run(cx).await,
        CommandId::ListTargetApps => list_target_apps::run(cx).await,
        CommandId::Bind => bind::run(cx).await,
        CommandId::Pack => pack::run(cx).await,
        CommandId::Publish => publish::run(cx).await,
        CommandId::ListVersions => list_versions::run(cx).await,
        CommandId::Release => release::run(cx).await,
        CommandId::TemporaryCode => temporary_code::run(cx).await,
        CommandId::ApplyRelease => apply_release::run(cx).await,
        CommandId::WaitForReview => wait_for_review::run(cx).await,
        CommandId::WithdrawRelease => withdraw_release::run(cx).await,
        CommandId::SetWhitelist => set_whitelist::run(cx).await,
        CommandId::CheckUserIds => check_user_ids::run(cx).await,
        CommandId::StartGrayscale => start_grayscale::run(cx).await,
        CommandId::OfficialRelease => official_release::run(cx).await,
        CommandId::CancelRelease => cancel_release::run(cx).await,
        CommandId::Rollback => rollback::run(cx).await,
    }
}

/// Parses `args` as `id`'s handler would (common fields included): lets a test prove every
/// field of the command table reaches a handler with the table's type.
#[doc(hidden)]
pub fn parse_for(id: CommandId, args: &Map<String, Value>) -> Result<(), CommandError> {
    parse_args::<Common>(args)?;
    fn p<T: DeserializeOwned>(args: &Map<String, Value>) -> Result<(), CommandError> {
        parse_args::<T>(args).map(drop)
    }
    match id {
        CommandId::Status => p::<status::Args>(args),
        CommandId::Login => p::<login::Args>(args),
        CommandId::Logout => p::<logout::Args>(args),
        CommandId::ListSpaces => p::<list_spaces::Args>(args),
        CommandId::ListApps => p::<list_apps::Args>(args),
        CommandId::ListTargetApps => p::<list_target_apps::Args>(args),
        CommandId::Bind => p::<bind::Args>(args),
        CommandId::Pack => p::<pack::Args>(args),
        CommandId::Publish => p::<publish::Args>(args),
        CommandId::ListVersions => p::<list_versions::Args>(args),
        CommandId::Release => p::<release::Args>(args),
        CommandId::TemporaryCode => p::<temporary_code::Args>(args),
        CommandId::ApplyRelease => p::<apply_release::Args>(args),
        CommandId::WaitForReview => p::<wait_for_review::Args>(args),
        CommandId::WithdrawRelease => p::<withdraw_release::Args>(args),
        CommandId::SetWhitelist => p::<set_whitelist::Args>(args),
        CommandId::CheckUserIds => p::<check_user_ids::Args>(args),
        CommandId::StartGrayscale => p::<start_grayscale::Args>(args),
        CommandId::OfficialRelease => p::<official_release::Args>(args),
        CommandId::CancelRelease => p::<cancel_release::Args>(args),
        CommandId::Rollback => p::<rollback::Args>(args),
    }
}

/// Serializes a workflow result (they are all plain data).
/// An argument given as an array of strings or as one string of items (the command
/// table's `string[]`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
pub enum StringList {
    List(Vec<String>),
    Text(String),
}

impl StringList {
    /// The items; a single string is kept whole for the parser of its kind.
    pub fn items(&self) -> Vec<String> {
        match self {
            StringList::List(items) => items.clone(),
            StringList::Text(text) => vec![text.clone()],
        }
    }
}

pub fn to_value<T: serde::Serialize>(value: &T) -> Result<Value, CommandError> {
    serde_json::to_value(value)
        .map_err(|e| CommandError::internal(format!("unserializable result: {e}")))
}

fn progress_title(id: CommandId) -> &'static str {
    match id {
        CommandId::Login => "Logging in",
        CommandId::Pack => "Packing",
        CommandId::Publish => "Publishing",
        CommandId::WaitForReview => "Waiting for the review",
        _ => "gopay-miniapp",
    }
}

/// Where `workspace/executeCommand` lands.
pub async fn execute(
    shared: Arc<Shared>,
    params: ExecuteCommandParams,
) -> jsonrpc::Result<Option<Value>> {
    let cancel = REQUEST
        .try_with(|scope| scope.cancel.clone())
        .unwrap_or_default();
    let Some(spec) = commands::find(&params.command) else {
        return Err(CommandError::invalid_params(
            "unknown_command",
            format!("there is no command `{}`", params.command),
            format!("commands: {}", commands::names().join(", ")),
        )
        .to_jsonrpc());
    };
    let args = match params.arguments.as_slice() {
        [] | [Value::Null] => Map::new(),
        [Value::Object(args)] => args.clone(),
        [_] => {
            return Err(CommandError::invalid_params(
                "invalid_params",
                format!("{} takes one object argument", spec.name),
                "pass `arguments: [{…}]` or no arguments",
            )
            .to_jsonrpc())
        }
        _ => {
            return Err(CommandError::invalid_params(
                "invalid_params",
                format!(
                    "{} takes zero or one object argument, not {}",
                    spec.name,
                    params.arguments.len()
                ),
                "pass `arguments: [{…}]` or no arguments",
            )
            .to_jsonrpc())
        }
    };
    if let Err(message) = commands::check_args(spec, &args) {
        return Err(CommandError::invalid_params(
            "invalid_params",
            message,
            "see docs/protocol.md",
        )
        .to_jsonrpc());
    }
    if shared.is_shutting_down() || shared.closing.is_cancelled() {
        return Err(CommandError::new(
            crate::errors::INVALID_REQUEST,
            "shutting_down",
            "the sidecar is shutting down",
            "start it again",
        )
        .to_jsonrpc());
    }
    let token = params.work_done_progress_params.work_done_token;
    let task = tokio::spawn(run_job(shared.clone(), spec, args, token, cancel));
    match task.await {
        Ok(Ok(value)) => Ok(Some(value)),
        Ok(Err(error)) => Err(error.to_jsonrpc()),
        Err(join) => {
            tracing::error!("{} failed: {join}", spec.name);
            Err(
                CommandError::internal(format!("{} stopped unexpectedly: {join}", spec.name))
                    .to_jsonrpc(),
            )
        }
    }
}

async fn run_job(
    shared: Arc<Shared>,
    spec: &'static CommandSpec,
    args: Map<String, Value>,
    client_token: Option<tower_lsp_server::ls_types::ProgressToken>,
    cancel: CancellationToken,
) -> Result<Value, CommandError> {
    let title = progress_title(spec.id);
    let job = Arc::new(
        shared
            .jobs
            .start(spec.name, title, spec.progress, cancel.clone()),
    );
    let common: Common = parse_args(&args)?;
    let (reporter, pump) = crate::progress::start(
        shared.clone(),
        spec,
        job.clone(),
        client_token,
        cancel.clone(),
        title.to_string(),
    );
    let prompter = Arc::new(LspPrompter::new(shared.clone(), cancel.clone(), common.yes));

    let mut ctx_used: Option<Context> = None;
    let result = async {
        let project = crate::project::resolve(
            &shared,
            common.project.as_deref(),
            spec.project,
            prompter.as_ref(),
        )
        .await?;
        job.set_project(&project);
        let ctx = context_for(
            &shared.base,
            project,
            common.portal.clone(),
            common.token.clone(),
        );
        reporter.set_context(&ctx);
        ctx_used = Some(ctx.clone());
        if spec.id == CommandId::Publish {
            job.claim_publish(&ctx.project)
                .map_err(CommandError::from)?;
        }
        if spec.progress {
            // The running job shows in the status while it runs.
            crate::status::push(&shared, &ctx).await;
        }
        let cx = Cx {
            shared: shared.clone(),
            spec,
            ctx,
            reporter: reporter.clone(),
            prompter: prompter.clone(),
            cancel: cancel.clone(),
            args,
        };
        dispatch(spec.id, &cx).await
    }
    .await;

    let client_cancelled = cancel.is_cancelled();
    let result = result.map_err(|error| {
        // A question that could not be asked explains itself better than core's wording.
        match prompter.take_failure() {
            Some(failure)
                if matches!(
                    error.report.code.as_str(),
                    "needs_input" | "cancelled" | "invalid"
                ) && !client_cancelled =>
            {
                failure
            }
            _ if error.report.code == "cancelled" && client_cancelled => CommandError {
                rpc_code: crate::errors::REQUEST_CANCELLED,
                ..error
            },
            _ => error,
        }
    });
    reporter.finish(match &result {
        Ok(_) => "Done",
        Err(e) if e.rpc_code == crate::errors::REQUEST_CANCELLED => "Cancelled",
        Err(_) => "Failed",
    });
    drop(reporter);
    let _ = pump.await;
    drop(job);
    if let Err(error) = &result {
        offer_the_portal(&shared, error);
    }
    if let Some(ctx) = ctx_used {
        if spec.mutating || spec.progress {
            crate::status::push(&shared, &ctx).await;
        }
    }
    result
}

/// The button of [`offer_the_portal`]'s question.
pub const OPEN_THE_PORTAL: &str = "Open the portal";

/// A step the portal's API does not have is done on the portal's own pages: after the error
/// is answered, the sidecar offers to open them (`window/showMessageRequest` with
/// [`OPEN_THE_PORTAL`], then `window/showDocument {external: true}`), when the client can
/// open a URL. The question never holds up the answer.
fn offer_the_portal(shared: &Arc<Shared>, error: &CommandError) {
    let Some(url) = error.details.get("portalUrl").and_then(Value::as_str) else {
        return;
    };
    if !shared.caps().show_document {
        return;
    }
    let shared = shared.clone();
    let url = url.to_string();
    let question = format!("{}. Do it on the portal's own pages?", error.report.message);
    tokio::spawn(async move {
        let asked = shared.client().show_message_request(
            tower_lsp_server::ls_types::MessageType::INFO,
            question.clone(),
            Some(vec![tower_lsp_server::ls_types::MessageActionItem {
                title: OPEN_THE_PORTAL.into(),
                properties: Default::default(),
            }]),
        );
        let timeout = shared.options().prompt_timeout;
        let closing = shared.closing.clone();
        match crate::state::ask_client(&shared, asked, timeout, &closing).await {
            Ok(Some(answer)) if answer.title == OPEN_THE_PORTAL => {
                login::open_external(&shared, &url, &format!("Open {url}"), &closing).await
            }
            Ok(_) => {}
            Err(e) => tracing::info!("the offer to open the portal got no answer: {e:?}"),
        }
    });
}

/// The project's context: `portal` overrides; `token` replaces the stored session (with its
/// own portal client, so it never touches the shared one).
pub fn context_for(
    base: &Context,
    project: std::path::PathBuf,
    portal: Option<String>,
    token: Option<String>,
) -> Context {
    let portal = portal.filter(|p| !p.trim().is_empty());
    match token.filter(|t| !t.trim().is_empty()) {
        Some(token) => {
            let mut ctx = Context::new(base.home.clone(), project);
            ctx.portal_override = portal.or_else(|| base.portal_override.clone());
            ctx.env_token = Some(token.trim().to_string());
            ctx
        }
        None => {
            let mut ctx = base.with_project(project);
            if portal.is_some() {
                ctx.portal_override = portal;
            }
            ctx
        }
    }
}

/// Core's error, with the client's cancel taken into account.
pub fn core_error(cx: &Cx, err: gopay_miniapp_core::CoreError) -> CommandError {
    CommandError::from_core(&err, cx.cancel.is_cancelled())
}
