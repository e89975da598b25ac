//! Every route of the portal contract, in one table. The local portal mounts exactly these;
//! the client builds its URLs from them; a test checks that `docs/portal-api.md` documents
//! each one. Paths use `{name}` placeholders.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    /// Needs `Authorization: Bearer <token>`.
    pub authenticated: bool,
    pub summary: &'static str,
}

macro_rules! routes {
    ($($name:ident = $method:literal $path:literal $auth:literal $summary:literal;)*) => {
        $(pub const $name: Route = Route { method: $method, path: $path, authenticated: $auth, summary: $summary };)*
        /// All routes, in documentation order.
        pub const ALL: &[Route] = &[$($name),*];
    };
}

routes! {
    LOGIN = "POST" "/api/v1/auth/login" false "Username + password → access and refresh token";
    REFRESH = "POST" "/api/v1/auth/refresh" false "Refresh token → a new token pair (the old refresh token is spent)";
    LOGOUT = "POST" "/api/v1/auth/logout" true "Revoke the session (access and refresh token) or the access token used";
    DEVICE_START = "POST" "/api/v1/auth/device" false "Start a browser/device login: user code + approval URL";
    DEVICE_TOKEN = "POST" "/api/v1/auth/device/token" false "Poll a device login: pending, denied, expired, or the token pair";
    DEVICE_PAGE = "GET" "/device" false "HTML: the approval page of the device login";
    DEVICE_APPROVE = "POST" "/device" false "HTML form: log in and approve (or deny) a device login";
    TOKENS_CREATE = "POST" "/api/v1/tokens" true "Create a long-lived access token for CI (secret shown once)";
    TOKENS_LIST = "GET" "/api/v1/tokens" true "List the caller's access tokens (no secrets)";
    TOKENS_REVOKE = "DELETE" "/api/v1/tokens/{token_id}" true "Revoke an access token";
    ME = "GET" "/api/v1/me" true "The current user";
    SPACES = "GET" "/api/v1/spaces" true "Spaces the user belongs to";
    SPACE_APPS = "GET" "/api/v1/spaces/{space_id}/apps" true "MiniApps in a space";
    TARGET_APPS = "GET" "/api/v1/target-apps" true "Target (host) apps a MiniApp can be released to";
    APP = "GET" "/api/v1/apps/{app_id}" true "One MiniApp";
    VERSIONS = "GET" "/api/v1/apps/{app_id}/versions" true "Versions of a MiniApp, newest first";
    VERSION_LATEST = "GET" "/api/v1/apps/{app_id}/versions/latest" true "The newest version (404 when there is none)";
    UPLOAD_CREATE = "POST" "/api/v1/apps/{app_id}/uploads" true "Open an upload (idempotent for the same version + sha256)";
    UPLOAD_GET = "GET" "/api/v1/uploads/{upload_id}" true "How many bytes the portal has (resume point)";
    UPLOAD_CHUNK = "PUT" "/api/v1/uploads/{upload_id}/chunks/{offset}" true "Append one chunk at an offset, verified by X-Chunk-Sha256";
    UPLOAD_COMPLETE = "POST" "/api/v1/uploads/{upload_id}/complete" true "Verify the whole package and create the version (idempotent)";
    UPLOAD_ABORT = "DELETE" "/api/v1/uploads/{upload_id}" true "Abandon an open upload and free its bytes";
    RELEASES = "GET" "/api/v1/apps/{app_id}/releases" true "Releases of a MiniApp (every version × target app)";
    RELEASE_CREATE = "POST" "/api/v1/apps/{app_id}/releases" true "Release a version to a target app (Version Creation)";
    RELEASE_GET = "GET" "/api/v1/releases/{release_id}" true "One release";
    RELEASE_TEMPORARY_CODE = "POST" "/api/v1/releases/{release_id}/temporary-code" true "The temporary code: a working deeplink + expiry";
    RELEASE_APPLY = "POST" "/api/v1/releases/{release_id}/apply" true "Apply Release: submit for review with release notes";
    RELEASE_WITHDRAW = "POST" "/api/v1/releases/{release_id}/withdraw" true "Take a release out of review";
    RELEASE_APPROVE = "POST" "/api/v1/releases/{release_id}/approve" true "Approve (target-app admins): Pilot test";
    RELEASE_REJECT = "POST" "/api/v1/releases/{release_id}/reject" true "Reject with a reason (target-app admins)";
    RELEASE_WHITELIST = "POST" "/api/v1/releases/{release_id}/whitelist" true "Set whitelist user IDs and start testing";
    RELEASE_GRAYSCALE = "POST" "/api/v1/releases/{release_id}/grayscale" true "Start grayscale or raise its ratio (1–100, only up)";
    RELEASE_OFFICIAL = "POST" "/api/v1/releases/{release_id}/official" true "Officially release; archives the live version";
    RELEASE_CANCEL = "POST" "/api/v1/releases/{release_id}/cancel" true "Cancel a release";
    ROLLBACK = "POST" "/api/v1/apps/{app_id}/rollback" true "Bring back the last archived version on a target app";
    REVIEWS = "GET" "/api/v1/reviews" true "Releases waiting for review on target apps the caller administers";
    AUDIT = "GET" "/api/v1/apps/{app_id}/audit" true "Audit log of a MiniApp, newest first";
    HEALTH = "GET" "/api/v1/health" false "Liveness and contract version";
}

impl Route {
    /// Fills the `{name}` placeholders in order.
    pub fn fill(&self, args: &[&str]) -> String {
        let mut out = String::with_capacity(self.path.len() + 32);
        let mut args = args.iter();
        let mut rest = self.path;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = rest[open..].find('}').expect("balanced braces") + open;
            let arg = args.next().expect("an argument for every placeholder");
            out.extend(percent_encoding::utf8_percent_encode(
                arg,
                crate::deeplink::UNRESERVED,
            ));
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_placeholders() {
        assert_eq!(
            UPLOAD_CHUNK.fill(&["up_1", "1024"]),
            "/api/v1/uploads/up_1/chunks/1024"
        );
        assert_eq!(SPACES.fill(&[]), "/api/v1/spaces");
    }

    #[test]
    fn method_and_path_are_unique() {
        for (i, a) in ALL.iter().enumerate() {
            for b in &ALL[i + 1..] {
                assert!(!(a.method == b.method && a.path == b.path), "{a:?}");
            }
        }
    }
}
