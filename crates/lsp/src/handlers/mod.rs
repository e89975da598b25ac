//! `workspace/executeCommand`: the arguments are checked against the command table, the
//! command runs as a job in its own task (with its cancellation token, reporter and
//! prompter), and its result or error is answered once the task has finished — cleanup
//! included, also when it was cancelled. One handler per command, one file each, each
//! declaring itself once as a [`Command`]; [`commands!`] lists them.

use std::future::Future;
use std::sync::{Arc, LazyLock};

use futures_util::future::BoxFuture;
use gopay_miniapp_core::Context;
use schemars::{JsonSchema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::ExecuteCommandParams;

use crate::commands::{self, CommandSpec, Declared, ProjectUse};
use crate::errors::{codes, CommandError};
use crate::jobs::REQUEST;
use crate::progress::JobReporter;
use crate::prompter::LspPrompter;
use crate::state::Shared;
use gopay_miniapp_core::codes as core_codes;
use gopay_miniapp_core::Hint;

/// A sidecar command, declared once: its wire name, what it does, its argument and result
/// types (their JSON Schemas make the command table, the exported JSON and the extension's
/// checks), whether it needs a project, changes the status or reports progress.
pub trait Command: 'static {
    /// `miniapp.<verb>`.
    const NAME: &'static str;
    /// One line for the table and `docs/protocol.md`.
    const SUMMARY: &'static str;
    const PROJECT: ProjectUse;
    /// Changes what `miniapp.status` shows: a `miniapp/didChangeStatus` follows it.
    const MUTATING: bool;
    /// Long work: `$/progress` under this title, cancellable; `None` for quick commands.
    const PROGRESS: Option<&'static str> = None;
    /// Its argument object; each field's doc comment is its documentation.
    type Args: DeserializeOwned + JsonSchema + Send;
    /// Its result, a named type.
    type Result: Serialize + JsonSchema;

    fn run(
        cx: &Cx,
        args: Self::Args,
    ) -> impl Future<Output = Result<Self::Result, CommandError>> + Send;
}

/// A handler, type-erased: parses its arguments, runs, serializes its result.
type Run = for<'a> fn(&'a Cx, Map<String, Value>) -> BoxFuture<'a, Result<Value, CommandError>>;

/// A command of the table: its row and its handler, type-erased.
struct Entry {
    spec: CommandSpec,
    run: Run,
    parse: fn(&Map<String, Value>) -> Result<(), CommandError>,
}

impl Entry {
    fn of<C: Command>(generator: &mut SchemaGenerator) -> Self {
        fn run<C: Command>(
            cx: &Cx,
            args: Map<String, Value>,
        ) -> BoxFuture<'_, Result<Value, CommandError>> {
            Box::pin(async move {
                let args: C::Args = parse_args(&args)?;
                to_value(&C::run(cx, args).await?)
            })
        }
        fn parse<C: Command>(args: &Map<String, Value>) -> Result<(), CommandError> {
            parse_args::<CommonArgs>(args)?;
            parse_args::<C::Args>(args).map(drop)
        }
        let declared = Declared {
            name: C::NAME,
            summary: C::SUMMARY,
            project: C::PROJECT,
            mutating: C::MUTATING,
            progress: C::PROGRESS,
        };
        let args = generator.root_schema_for::<C::Args>();
        let result = generator.subschema_for::<C::Result>();
        Entry {
            spec: CommandSpec::from_declaration(declared, &args, &result),
            run: run::<C>,
            parse: parse::<C>,
        }
    }
}

/// The one list of commands: each handler module and its type, in the order `initialize`
/// advertises them.
macro_rules! commands {
    ($($module:ident::$command:ident),* $(,)?) => {
        $(pub mod $module;)*

        fn entries(generator: &mut SchemaGenerator) -> Vec<Entry> {
            vec![$(Entry::of::<$module::$command>(generator)),*]
        }

        /// The names alone, without building the table: `initialize` advertises them, and
        /// building the table (every argument and result schema) took longer than the rest
        /// of `initialize` together (docs/benchmarks.md, "Sidecar").
        const NAMES: &[&str] = &[$(<$module::$command as Command>::NAME),*];
    };
}

commands! {
    status::Status,
    check_portal::CheckPortal,
    login::LogIn,
    logout::LogOut,
    list_spaces::ListSpaces,
    list_apps::ListApps,
    list_target_apps::ListTargetApps,
    bind::Bind,
    pack::Pack,
    publish::Publish,
    publish_description::PublishDescription,
    list_versions::ListVersions,
    release::Release,
    temporary_code::TemporaryCode,
    apply_release::ApplyRelease,
    wait_for_review::WaitForReview,
    withdraw_release::WithdrawRelease,
    set_whitelist::SetWhitelist,
    check_user_ids::CheckUserIds,
    start_grayscale::StartGrayscale,
    official_release::OfficialRelease,
    cancel_release::CancelRelease,
    rollback::Rollback,
}

/// THE table: every command's row and handler, built once from the `commands!` list, by the
/// first command (about 3 ms in a release build). Not at `initialize`, which only needs the
/// names, and not ahead of time on a thread of its own: measured, that kept 2 MiB more of an
/// idle sidecar's memory (docs/benchmarks.md, "Sidecar").
static TABLE: LazyLock<Vec<Entry>> = LazyLock::new(|| entries(&mut commands::generator()));

/// Every command, in the order `initialize` lists them.
pub fn all() -> impl Iterator<Item = &'static CommandSpec> {
    TABLE.iter().map(|e| &e.spec)
}

fn entry(name: &str) -> Option<&'static Entry> {
    TABLE.iter().find(|e| e.spec.name == name)
}

pub fn find(name: &str) -> Option<&'static CommandSpec> {
    entry(name).map(|e| &e.spec)
}

pub fn names() -> Vec<String> {
    NAMES.iter().map(|name| name.to_string()).collect()
}

/// Parses `args` as the command's handler would (its argument struct, common fields
/// included): lets a test prove every field of the table reaches the handler with its type.
#[doc(hidden)]
pub fn parse_for(name: &str, args: &Map<String, Value>) -> Result<(), CommandError> {
    let entry = entry(name).expect("a command of the table");
    (entry.parse)(args)
}

/// The table as JSON: the commands with their arguments and result types, the result types'
/// schemas, the user-facing error codes, and the words of the release states (the one
/// vocabulary, `lifecycle::STATE_WORDS`: editors read a state's word by its id). Committed as
/// `editors/vscode/src/generated/commands.json`; a test keeps that file fresh.
pub fn export() -> Value {
    // The result types' schemas are only exported, never used at run time: a generator of
    // their own, so the running table does not hold them.
    let mut generator = commands::generator();
    entries(&mut generator);
    // Types that reach editors outside a result: `$/progress`'s `phase`, a failed build's
    // `buildError` (error data).
    generator.subschema_for::<gopay_miniapp_core::events::Phase>();
    generator.subschema_for::<gopay_miniapp_core::project::build_errors::SourceError>();
    let defs = generator
        .take_definitions(true)
        .into_iter()
        .collect::<Map<String, Value>>();
    serde_json::json!({
        "comment": "Generated from crates/lsp (the handlers' declarations) by `UPDATE_GENERATED=1 cargo test -p gopay-miniapp-lsp --test generated`. Do not edit.",
        "commands": all().collect::<Vec<_>>(),
        "errorCodes": crate::errors::user_facing_codes(),
        "releaseStates": gopay_miniapp_portal::lifecycle::STATE_WORDS,
        "portalPresets": gopay_miniapp_core::presets::PRESETS,
        "$defs": defs,
    })
}

/// The fields a command may share with others (those its argument struct flattens in), read
/// for every command before its handler runs (absent ones are `None` or `false`).
#[derive(Debug, Default, Deserialize)]
struct CommonArgs {
    #[serde(flatten)]
    session: SessionArgs,
    #[serde(flatten)]
    confirm: YesArg,
}

/// `project`: the commands that act on the local project only.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ProjectArg {
    /// Project folder (path or file:// URI). Default: the one bound workspace folder, else the only folder, else asked.
    pub project: Option<String>,
}

/// `project`, `portal` and `defaultPortal`: the commands that make a session rather than use
/// one.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PortalArgs {
    #[serde(flatten)]
    pub project: ProjectArg,
    /// Portal URL or a preset's id (`portalPresets`), for this command only: it wins over the binding's portal (a warning says so when they differ). Default: the binding's portal, else `defaultPortal`, else the server's --portal or GOPAY_MINIAPP_PORTAL, else the last one logged in to; with none, the error `no_portal`.
    pub portal: Option<String>,
    /// The editor's portal setting (URL or preset id): the portal of an unbound project. A bound project's binding wins over it.
    pub default_portal: Option<String>,
}

/// `project`, `portal` and `token`: every command that talks to the portal with a session.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct SessionArgs {
    #[serde(flatten)]
    pub portal: PortalArgs,
    /// An access token (made on the portal for CI) used for this command only instead of the stored session, like GOPAY_MINIAPP_TOKEN. Never stored.
    pub token: Option<String>,
}

/// `yes`: commands that confirm first.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct YesArg {
    /// Answer every confirmation with Yes instead of asking (for clients without window/showMessageRequest).
    #[serde(default)]
    pub yes: bool,
}

/// The release a step acts on, with the session's fields: `project`, `portal`, `token`,
/// `version`, `targetApp`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ReleaseArgs {
    #[serde(flatten)]
    pub session: SessionArgs,
    #[serde(flatten)]
    pub release: gopay_miniapp_core::workflows::release::ReleaseRef,
}

/// [`ReleaseArgs`] and `yes`: the steps that confirm first.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ConfirmedReleaseArgs {
    #[serde(flatten)]
    pub step: ReleaseArgs,
    #[serde(flatten)]
    pub confirm: YesArg,
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
            crate::errors::codes::INVALID_PARAMS,
            format!("bad arguments: {e}"),
            Hint::CheckArguments,
        )
    })
}

fn to_value<T: Serialize>(value: &T) -> Result<Value, CommandError> {
    serde_json::to_value(value)
        .map_err(|e| CommandError::internal(format!("unserializable result: {e}")))
}

/// Where `workspace/executeCommand` lands.
pub async fn execute(
    shared: Arc<Shared>,
    params: ExecuteCommandParams,
) -> jsonrpc::Result<Option<Value>> {
    let cancel = REQUEST
        .try_with(|scope| scope.cancel.clone())
        .unwrap_or_default();
    let Some(entry) = entry(&params.command) else {
        return Err(CommandError::invalid_params(
            codes::UNKNOWN_COMMAND,
            format!(
                "there is no command `{}`; the commands are: {}",
                params.command,
                names().join(", ")
            ),
            Hint::CheckArguments,
        )
        .to_jsonrpc());
    };
    let spec = &entry.spec;
    let args = match params.arguments.as_slice() {
        [] | [Value::Null] => Map::new(),
        [Value::Object(args)] => args.clone(),
        [_] => {
            return Err(CommandError::invalid_params(
                codes::INVALID_PARAMS,
                format!(
                    "{} takes one object argument (`arguments: [{{…}}]`) or none",
                    spec.name
                ),
                Hint::CheckArguments,
            )
            .to_jsonrpc())
        }
        _ => {
            return Err(CommandError::invalid_params(
                codes::INVALID_PARAMS,
                format!(
                    "{} takes zero or one object argument (`arguments: [{{…}}]`), not {}",
                    spec.name,
                    params.arguments.len()
                ),
                Hint::CheckArguments,
            )
            .to_jsonrpc())
        }
    };
    if let Err(message) = commands::check_args(spec, &args) {
        return Err(CommandError::invalid_params(
            codes::INVALID_PARAMS,
            message,
            Hint::CheckArguments,
        )
        .to_jsonrpc());
    }
    if shared.is_shutting_down() || shared.closing.is_cancelled() {
        return Err(CommandError::new(
            crate::errors::INVALID_REQUEST,
            codes::SHUTTING_DOWN,
            "the sidecar is shutting down",
            Hint::StartAgain,
        )
        .to_jsonrpc());
    }
    let token = params.work_done_progress_params.work_done_token;
    let task = tokio::spawn(run_job(shared.clone(), entry, args, token, cancel));
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
    entry: &'static Entry,
    args: Map<String, Value>,
    client_token: Option<tower_lsp_server::ls_types::ProgressToken>,
    cancel: CancellationToken,
) -> Result<Value, CommandError> {
    let spec = &entry.spec;
    let title = spec.progress.unwrap_or("gopay-miniapp");
    let job = Arc::new(shared.jobs.start(
        spec.name,
        title,
        spec.progress.is_some(),
        cancel.clone(),
    ));
    let common: CommonArgs = parse_args(&args)?;
    let (reporter, pump) = crate::progress::start(
        shared.clone(),
        spec,
        job.clone(),
        client_token,
        cancel.clone(),
        title.to_string(),
    );
    let prompter = Arc::new(LspPrompter::new(
        shared.clone(),
        cancel.clone(),
        common.confirm.yes,
    ));

    let mut ctx_used: Option<Context> = None;
    let result = async {
        let project = crate::project::resolve(
            &shared,
            common.session.portal.project.project.as_deref(),
            spec.project,
            prompter.as_ref(),
        )
        .await?;
        job.set_project(&project);
        let ctx = crate::project::context_for(
            &shared.base,
            project,
            common.session.portal.portal.clone(),
            common.session.portal.default_portal.clone(),
            common.session.token.clone(),
        );
        reporter.set_context(&ctx);
        // A portal given for this command that is not the binding's: said, never silent.
        if let Ok(choice) = ctx.portal_choice() {
            if let Some(bound) = &choice.bound_elsewhere {
                gopay_miniapp_core::events::Reporter::warn(reporter.as_ref(), &format!(
                    "{} runs on {}, given for this command, not on this project's portal {}; the binding is unchanged",
                    spec.name, choice.url, bound
                ));
            }
        }
        ctx_used = Some(ctx.clone());
        if spec.name == publish::Publish::NAME {
            job.claim_publish(&ctx.project)
                .map_err(CommandError::from)?;
        }
        if spec.progress.is_some() {
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
        };
        (entry.run)(&cx, args).await
    }
    .await;

    let client_cancelled = cancel.is_cancelled();
    let result = result.map_err(|error| {
        // A question that could not be asked explains itself better than core's wording.
        match prompter.take_failure() {
            Some(failure)
                if matches!(
                    error.report.code.as_str(),
                    core_codes::NEEDS_INPUT | core_codes::CANCELLED | core_codes::INVALID
                ) && !client_cancelled =>
            {
                failure
            }
            _ if error.report.code == core_codes::CANCELLED && client_cancelled => CommandError {
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
        if spec.mutating || spec.progress.is_some() {
            crate::status::push(&shared, &ctx).await;
        }
    }
    result
}

/// The button of [`offer_the_portal`]'s question.
pub const OPEN_THE_PORTAL: &str = "Open on Portal";

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
                login::open_external(&shared, &url, &url, &format!("Open {url}"), &closing).await
            }
            Ok(_) => {}
            Err(e) => tracing::info!("the offer to open the portal got no answer: {e:?}"),
        }
    });
}

/// Core's error, with the client's cancel taken into account.
pub fn core_error(cx: &Cx, err: gopay_miniapp_core::CoreError) -> CommandError {
    CommandError::from_core(&err, cx.cancel.is_cancelled())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{check_args, ArgType};

    #[test]
    fn names_are_unique_and_prefixed() {
        let mut seen = std::collections::HashSet::new();
        for c in all() {
            assert!(c.name.starts_with("miniapp."), "{}", c.name);
            assert!(seen.insert(c.name), "duplicate {}", c.name);
        }
        assert!(seen.len() >= 21, "only {} commands", seen.len());
        // What `initialize` advertises (without building the table) is the table, in order.
        assert_eq!(
            names(),
            all().map(|c| c.name.to_string()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn arguments_are_checked() {
        let spec = find("miniapp.startGrayscale").unwrap();
        let ok = serde_json::json!({"ratio": 10, "version": "1.0.0", "project": null});
        assert!(check_args(spec, ok.as_object().unwrap()).is_ok());
        let bad = serde_json::json!({"ratio": "ten"});
        let err = check_args(spec, bad.as_object().unwrap()).unwrap_err();
        assert!(err.contains("`ratio`") && err.contains("integer"), "{err}");
        let unknown = serde_json::json!({"ratoi": 10});
        let err = check_args(spec, unknown.as_object().unwrap()).unwrap_err();
        assert!(err.contains("ratoi") && err.contains("ratio"), "{err}");
    }

    #[test]
    fn argument_types_come_from_the_schemas() {
        let spec = find("miniapp.setWhitelist").unwrap();
        let ty = |name: &str| spec.args.iter().find(|a| a.name == name).unwrap().ty;
        assert_eq!(ty("users"), ArgType::StringList);
        assert_eq!(ty("version"), ArgType::String);
        let spec = find("miniapp.publish").unwrap();
        let ty = |name: &str| spec.args.iter().find(|a| a.name == name).unwrap().ty;
        assert_eq!(ty("dryRun"), ArgType::Boolean);
        assert_eq!(ty("bump"), ArgType::String);
        assert_eq!(spec.result, "PublishResult");
        assert_eq!(spec.progress, Some("Publishing"));
    }
}
