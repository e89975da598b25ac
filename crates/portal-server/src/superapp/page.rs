//! The emulator's HTML pages (login, overview, review queue, the console's shell), built with
//! `maud`, which escapes every value it is given. No inline script and no remote asset; only
//! the console page loads a script, its own same-origin file (`console::page`).

use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup, DOCTYPE};

use crate::web::html::html_response;

const STYLE: &str = "\
*{box-sizing:border-box}\
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1b1b1b;background:#f4f6f9;line-height:1.45}\
header{background:#ff6a00;color:#fff;padding:.6rem 1.5rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}\
header .brand{font-weight:700;margin-right:auto}\
header a,header button{color:#fff;background:none;border:0;font:inherit;cursor:pointer;text-decoration:underline}\
main{max-width:60rem;margin:1.5rem auto;padding:0 1rem}\
.card{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:1rem 1.25rem;margin-bottom:1rem}\
.login{max-width:24rem;margin:3rem auto}\
label{display:block;margin:.6rem 0 .2rem;font-weight:600}\
input,textarea{width:100%;padding:.45rem;border:1px solid #b8bec6;border-radius:4px;font:inherit}\
button.primary{margin-top:1rem;background:#ff6a00;color:#fff;border:0;border-radius:4px;padding:.5rem 1.2rem;font:inherit;cursor:pointer}\
.error{background:#fdecea;border:1px solid #f5c2c0;padding:.6rem .8rem;border-radius:4px}\
.ok{background:#e7f6ec;border:1px solid #b7e1c3;padding:.6rem .8rem;border-radius:4px}\
.emulator{font-size:.85rem;color:#5b6470}\
table{border-collapse:collapse;width:100%}\
td,th{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e6e9ed;vertical-align:top}\
code{font-size:.9em}";

/// Who is logged in, for the page header.
pub(crate) struct Signed<'a> {
    pub display_name: &'a str,
    pub username: &'a str,
    pub csrf: &'a str,
}

/// A whole page.
pub(crate) fn page(
    status: StatusCode,
    title: &str,
    signed: Option<Signed<'_>>,
    body: Markup,
) -> Response {
    html_response(status, document(title, signed, body, None))
}

/// The console page's script: its same-origin file, and the variant the page tells it.
pub(crate) struct Script<'a> {
    pub src: &'a str,
    pub variant: &'a str,
}

/// The page's HTML (`script`: the console's single-page app, whose file the CSP allows).
pub(crate) fn document(
    title: &str,
    signed: Option<Signed<'_>>,
    body: Markup,
    script: Option<Script<'_>>,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · SuperApp console (emulator)" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body data-variant=[script.as_ref().map(|s| s.variant)] {
                header {
                    span.brand { "SuperApp console " small { "(gopay-miniapp emulator)" } }
                    @if let Some(user) = &signed {
                        a href="/#/overview" { "Overview" }
                        a href="/console" { "Console" }
                        a href="/emulator/reviews" { "Reviews" }
                        span #signed-in { (user.display_name) " (" (user.username) ")" }
                        form method="post" action="/logout" style="display:inline" {
                            input type="hidden" name="csrf" value=(user.csrf);
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main { (body) }
                @if let Some(script) = &script {
                    script src=(script.src) {}
                }
            }
        }
    }
}
