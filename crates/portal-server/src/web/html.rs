//! HTML building blocks: the page layout, its pieces, and the headers every page carries.
//!
//! Pages are built with `maud`: a value spliced into `html!` is escaped (element text and
//! attribute values alike) unless it is wrapped in `PreEscaped`, which only this crate's
//! constants and the QR code's SVG are. Ids in URLs go through [`seg`] as well. Pages have no
//! script and no remote asset: the style is inline and the Content-Security-Policy allows
//! nothing else.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gopay_miniapp_portal::lifecycle::ReleaseState;
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// A path segment, percent-encoded (ids are server-made, but nothing is trusted): no `/`,
/// `?`, `#` or quote of the id survives into the URL.
pub(crate) fn seg(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// `a=b&c=d`, each value form-encoded (for links and redirects).
pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

/// The headers of every page: no framing, no caching, no referrer to other sites, nothing but
/// inline style.
pub(crate) fn secure_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Not `no-referrer`: with it, browsers send `Origin: null` on the pages' own form POSTs,
    // and the Origin check could not tell them from a forged one.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// A complete HTML document as a response.
pub(crate) fn html_response(status: StatusCode, page: Markup) -> Response {
    let mut response = (status, page.into_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure_headers(&mut response);
    response
}

/// 303 See Other to a path of this portal.
pub(crate) fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    secure_headers(&mut response);
    response
}

pub(crate) const STYLE: &str = "\
*{box-sizing:border-box}\
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9;line-height:1.45}\
a{color:#00704a}\
header.top{background:#00aa13;color:#fff;display:flex;align-items:center;gap:1.2rem;padding:.6rem 1.5rem;flex-wrap:wrap}\
header.top a{color:#fff;text-decoration:none;font-weight:600}\
header.top .brand{font-size:1.1rem;margin-right:auto}\
header.top form{display:inline;margin:0}\
header.top button{background:transparent;color:#fff;border:1px solid #fff;padding:.25rem .7rem;border-radius:4px;cursor:pointer}\
main{max-width:72rem;margin:1.5rem auto;padding:0 1.5rem}\
h1{font-size:1.5rem;margin:.4rem 0 .2rem}h2{font-size:1.2rem;margin:1.6rem 0 .6rem}h3{font-size:1.05rem;margin:0 0 .4rem}\
.crumbs{font-size:.9rem;color:#555}.crumbs a{color:#555}\
.muted{color:#666;font-size:.9rem}\
.tabs{display:flex;gap:.2rem;border-bottom:2px solid #dcdfe3;margin:1rem 0}\
.tabs a{padding:.5rem 1rem;text-decoration:none;color:#444;border-radius:4px 4px 0 0}\
.tabs a.active{background:#fff;border:2px solid #dcdfe3;border-bottom-color:#fff;margin-bottom:-2px;color:#1b1b1b;font-weight:600}\
.card{background:#fff;border:1px solid #dcdfe3;border-radius:6px;padding:1rem 1.2rem;margin:.8rem 0}\
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dcdfe3}\
th,td{text-align:left;padding:.55rem .7rem;border-bottom:1px solid #e6e8eb;vertical-align:top}\
th{background:#eef0f3;font-size:.9rem}\
.button,button{display:inline-block;background:#00aa13;color:#fff;border:0;border-radius:4px;padding:.45rem .9rem;font-size:.95rem;cursor:pointer;text-decoration:none;font-family:inherit}\
.button.secondary,button.secondary{background:#fff;color:#1b1b1b;border:1px solid #b9bec5}\
button.danger{background:#c62828}\
.actions{display:flex;flex-wrap:wrap;gap:.4rem;margin-top:.4rem;align-items:center}\
.actions form{display:inline;margin:0}\
.actions .button,.actions button{font-size:.85rem;padding:.3rem .6rem}\
label{display:block;margin:.8rem 0 .25rem;font-weight:600}\
input[type=text],input[type=password],input[type=number],textarea,select{width:100%;max-width:36rem;padding:.5rem;font-size:1rem;border:1px solid #b9bec5;border-radius:4px;font-family:inherit}\
textarea{min-height:5rem}\
.state{display:inline-block;padding:.1rem .5rem;border-radius:999px;font-size:.85rem;font-weight:600;background:#e6e8eb;color:#333;white-space:nowrap}\
.state-version_creation{background:#e3f2fd;color:#0d47a1}.state-in_review{background:#fff3e0;color:#8a4b00}\
.state-rejected{background:#fdecea;color:#9b1c1c}.state-pilot_test,.state-whitelist_testing,.state-grayscale{background:#ede7f6;color:#4527a0}\
.state-released{background:#e8f5e9;color:#1b5e20}.state-archived,.state-cancelled{background:#eceff1;color:#546e7a}\
.error{background:#fdecea;border:1px solid #e0a39c;padding:.7rem 1rem;border-radius:4px;margin:1rem 0}\
.ok{background:#e8f5e9;border:1px solid #9ccc9f;padding:.7rem 1rem;border-radius:4px;margin:1rem 0}\
.notice{background:#fff8e1;border:1px solid #e6cf7a;padding:.7rem 1rem;border-radius:4px;margin:1rem 0}\
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:.4rem 0}dl.facts dt{color:#555}dl.facts dd{margin:0;overflow-wrap:anywhere}\
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;overflow-wrap:anywhere}\
.qr{display:flex;gap:1.5rem;align-items:flex-start;flex-wrap:wrap}.qr svg{display:block;width:240px;height:240px;border:1px solid #dcdfe3;background:#fff}\
.deeplink{background:#f1f3f5;padding:.5rem;border-radius:4px;display:block;max-width:40rem}\
.login{max-width:26rem;margin:4rem auto}\
.reason{white-space:pre-wrap}";

/// The signed-in user in the header bar.
pub(crate) struct Chrome<'a> {
    pub display_name: &'a str,
    pub username: &'a str,
    pub csrf: &'a str,
    /// Administers at least one target app: the header links the review queue.
    pub reviewer: bool,
}

/// An HTML document of the portal (these pages and the device login's): the title, the
/// inline style (a constant, not data) and the body.
pub(crate) fn document(title: &str, style: &'static str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · GoPay MiniApp portal" }
                style { (PreEscaped(style)) }
            }
            body { (body) }
        }
    }
}

/// A page of the portal: title, optional breadcrumbs, and the body.
pub(crate) fn page(
    title: &str,
    chrome: Option<&Chrome<'_>>,
    crumbs: Option<Markup>,
    body: Markup,
) -> Markup {
    let body = html! {
                header.top {
                    a.brand href="/web" { "GoPay MiniApp portal" }
                    @if let Some(chrome) = chrome {
                        nav {
                            a href="/web" { "Spaces" }
                            @if chrome.reviewer {
                                " \u{a0} " a href="/web/reviews" { "Reviews" }
                            }
                        }
                        span.who data-username=(chrome.username) {
                            (chrome.display_name) " (" (chrome.username) ")"
                        }
                        form method="post" action="/web/logout" {
                            (hidden("csrf", chrome.csrf))
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main {
                    @if let Some(crumbs) = crumbs {
                        nav.crumbs { (crumbs) }
                    }
                    (body)
                }
    };
    document(title, STYLE, body)
}

/// `<span class="state state-in_review" data-state="in_review">Submit for Review</span>`
pub(crate) fn state_badge(state: ReleaseState) -> Markup {
    html! {
        span class={ "state state-" (state.as_str()) } data-state=(state.as_str()) { (state.label()) }
    }
}

/// A hidden input.
pub(crate) fn hidden(name: &str, value: &str) -> Markup {
    html! { input type="hidden" name=(name) value=(value); }
}

/// `the package …` → `The package …` (the API's messages are sentence fragments).
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An error box: the message, and what to do about it.
pub(crate) fn error_box(message: &str, hint: &str) -> Markup {
    html! {
        div.error role="alert" {
            strong { (sentence(message)) }
            @if !hint.is_empty() {
                br;
                span.muted { (sentence(hint)) }
            }
        }
    }
}

pub(crate) fn ok_box(message: &str) -> Markup {
    html! { div.ok role="status" { (message) } }
}

pub(crate) use crate::uploads::human_size;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cannot_break_out_of_attributes_or_paths() {
        assert_eq!(seg("ver_abc"), "ver_abc");
        assert_eq!(seg("a\"/b<"), "a%22%2Fb%3C");
    }

    #[test]
    fn page_escapes_the_title_and_the_user() {
        let chrome = Chrome {
            display_name: "<b>Eve</b>",
            username: "eve\"",
            csrf: "x",
            reviewer: false,
        };
        let html = page("<script>", Some(&chrome), None, html! {}).into_string();
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<b>Eve"));
        assert!(html.contains("&lt;b&gt;Eve&lt;/b&gt;"));
        assert!(html.contains("eve&quot;"));
    }
}
