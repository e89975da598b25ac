//! The console's ids: long decimal strings (OBSERVED, e.g. `1512032299590111735808`, 22
//! digits), for spaces (`spaceId`), MiniApps (`appId`), target apps (`channelCode`, decimal on
//! the observed tenant too) and versions.
//!
//! The store keeps its own ids; table `superapp_ids` maps each to a console id, given once and
//! kept: a 4-digit kind prefix and an 18-digit sequence number (ASSUMED scheme):
//! spaces `1532…`, MiniApps `1512…`, channel codes `1611…`, versions `1720…`. On a fresh data
//! directory seeded with the demo data they are therefore always the same (see
//! `docs/portal-superapp.md`).

use rusqlite::{params, OptionalExtension, Transaction};

use super::envelope::bad_param;
use super::DirectoryEntry;
use crate::error::{ApiError, ApiResult};
use crate::store::next_counter;
use gopay_miniapp_guard::text::Shown;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Space,
    App,
    Channel,
    Version,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Space => "space",
            Kind::App => "app",
            Kind::Channel => "channel",
            Kind::Version => "version",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Kind::Space => "1532",
            Kind::App => "1512",
            Kind::Channel => "1611",
            Kind::Version => "1720",
        }
    }
}

/// The console id of a store id, given now if it has none yet.
pub(crate) fn console_id(tx: &Transaction<'_>, kind: Kind, native: &str) -> ApiResult<String> {
    if let Some(id) = tx
        .query_row(
            "SELECT decimal_id FROM superapp_ids WHERE kind = ?1 AND native_id = ?2",
            params![kind.as_str(), native],
            |r| r.get(0),
        )
        .optional()?
    {
        return Ok(id);
    }
    let n = next_counter(tx, &format!("superapp_{}", kind.as_str()), 1)?;
    let id = format!("{}{n:018}", kind.prefix());
    tx.execute(
        "INSERT INTO superapp_ids (kind, native_id, decimal_id) VALUES (?1, ?2, ?3)",
        params![kind.as_str(), native, id],
    )?;
    Ok(id)
}

/// The store id of a console id, if it is one of `kind`.
pub(crate) fn native_id(
    tx: &Transaction<'_>,
    kind: Kind,
    console: &str,
) -> ApiResult<Option<String>> {
    let lookup = |tx: &Transaction<'_>| -> rusqlite::Result<Option<String>> {
        tx.query_row(
            "SELECT native_id FROM superapp_ids WHERE kind = ?1 AND decimal_id = ?2",
            params![kind.as_str(), console],
            |r| r.get(0),
        )
        .optional()
    };
    if let Some(id) = lookup(tx)? {
        return Ok(Some(id));
    }
    // Spaces, MiniApps and target apps made since the last sync get their ids now.
    sync(tx)?;
    Ok(lookup(tx)?)
}

/// A console id as a request gives it: 1 to 32 decimal digits, else a refusal naming `field`.
pub(crate) fn parse_console_id(field: &str, value: &str) -> ApiResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(bad_param(field, format!("`{field}` is missing")));
    }
    if value.len() > 32 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_param(
            field,
            format!(
                "`{field}` must be a decimal id (digits only, like 1512000000000000000001), not `{}`",
                Shown(value)
            ),
        ));
    }
    Ok(value.to_string())
}

/// Gives every space, MiniApp and target app without a console id one, in the order they
/// were made.
pub(crate) fn sync(tx: &Transaction<'_>) -> ApiResult<()> {
    for (kind, table) in [
        (Kind::Space, "spaces"),
        (Kind::App, "apps"),
        (Kind::Channel, "target_apps"),
    ] {
        let missing: Vec<String> = {
            let mut stmt = tx.prepare(&format!(
                "SELECT t.id FROM {table} t WHERE NOT EXISTS
                 (SELECT 1 FROM superapp_ids s WHERE s.kind = ?1 AND s.native_id = t.id)
                 ORDER BY t.rowid"
            ))?;
            let rows = stmt
                .query_map([kind.as_str()], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            rows
        };
        for native in missing {
            console_id(tx, kind, &native)?;
        }
    }
    Ok(())
}

/// What `--seed-demo` prints: each space followed by its MiniApps, then the target apps.
pub(crate) fn directory(tx: &Transaction<'_>) -> ApiResult<Vec<DirectoryEntry>> {
    sync(tx)?;
    let mut out = Vec::new();
    let named = |sql: &str| -> ApiResult<Vec<(String, String)>> {
        let mut stmt = tx.prepare(sql)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    };
    for (space, space_name) in named("SELECT id, name FROM spaces ORDER BY rowid")? {
        out.push(DirectoryEntry {
            kind: "space",
            id: console_id(tx, Kind::Space, &space)?,
            name: space_name,
        });
        let apps: Vec<(String, String)> = {
            let mut stmt =
                tx.prepare("SELECT id, name FROM apps WHERE space_id = ?1 ORDER BY rowid")?;
            let rows = stmt
                .query_map([&space], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            rows
        };
        for (app, app_name) in apps {
            out.push(DirectoryEntry {
                kind: "app",
                id: console_id(tx, Kind::App, &app)?,
                name: app_name,
            });
        }
    }
    for (target, name) in named("SELECT id, name FROM target_apps ORDER BY rowid")? {
        out.push(DirectoryEntry {
            kind: "target-app",
            id: console_id(tx, Kind::Channel, &target)?,
            name,
        });
    }
    Ok(out)
}

/// A MiniApp named by its console id, with what the console's answers need of it.
#[derive(Debug, Clone)]
pub(crate) struct AppRef {
    /// The store's id.
    pub native: String,
    pub console: String,
    pub name: String,
    pub space_console: String,
}

/// The MiniApp of `appId`, if the caller is a member of its space (`member`), or at all.
pub(crate) fn app(
    tx: &Transaction<'_>,
    console: &str,
    user_id: &str,
    member: bool,
) -> ApiResult<AppRef> {
    let not_found = || {
        ApiError::not_found(format!("MiniApp `{console}`")).with_hint(
            "check the appId (the console shows it in the MiniApp's settings; `portal serve --seed-demo` prints the demo ones)",
        )
    };
    let native = native_id(tx, Kind::App, console)?.ok_or_else(not_found)?;
    let app = if member {
        crate::apps::member_app(tx, &native, user_id).map_err(|_| not_found())?
    } else {
        tx.query_row(
            "SELECT id, space_id, name FROM apps WHERE id = ?1",
            [&native],
            |r| {
                Ok(gopay_miniapp_portal::native::wire::MiniApp {
                    id: r.get(0)?,
                    space_id: r.get(1)?,
                    name: r.get(2)?,
                })
            },
        )
        .optional()?
        .ok_or_else(not_found)?
    };
    Ok(AppRef {
        space_console: console_id(tx, Kind::Space, &app.space_id)?,
        native: app.id,
        console: console.to_string(),
        name: app.name,
    })
}

/// Refuses a `spaceId` that is not the MiniApp's space.
pub(crate) fn check_space(app: &AppRef, field: &str, space: &str) -> ApiResult<()> {
    if space == app.space_console {
        return Ok(());
    }
    Err(
        ApiError::not_found(format!("MiniApp `{}` in space `{space}`", app.console))
            .field(field)
            .with_hint(format!(
                "{} is in space {}; send that `{field}`",
                app.name, app.space_console
            )),
    )
}

/// A target app named by its channel code.
#[derive(Debug, Clone)]
pub(crate) struct ChannelRef {
    pub native: String,
    pub code: String,
    pub name: String,
}

pub(crate) fn channel(tx: &Transaction<'_>, code: &str) -> ApiResult<ChannelRef> {
    let not_found = || {
        ApiError::not_found(format!("target app with channelCode `{code}`"))
            .field("channelCode")
            .with_hint("check the channelCode (`portal serve --seed-demo` prints the demo ones)")
    };
    let native = native_id(tx, Kind::Channel, code)?.ok_or_else(not_found)?;
    let target = crate::apps::target_app(tx, &native).map_err(|_| not_found())?;
    Ok(ChannelRef {
        native: target.id,
        code: code.to_string(),
        name: target.name,
    })
}
