//! The OBSERVED routes this backend calls, and nothing else (`HISTORY_QUERY` only from
//! `doctor`'s read probe).

pub const VERSION_QUERY: &str = "/rest/intercnn/app/version/query";
pub const VERSION_UPLOAD: &str = "/rest/intercnn/app/version/uploadResource";
pub const VERSION_CREATE: &str = "/rest/intercnn/app/version/create";
pub const RELEASE_CREATE: &str = "/rest/intercnn/app/publish/version/create";
pub const RELEASE_QUERY: &str = "/rest/intercnn/app/publish/version/query";
pub const HISTORY_QUERY: &str = "/rest/intercnn/app/publish/version/history/query";
pub const START_APPROVE: &str = "/rest/intercnn/app/publish/version/startApprove";
pub const SKIP_BETA: &str = "/rest/intercnn/app/publish/version/gray/skipBeta";
pub const ONLINE: &str = "/rest/intercnn/app/publish/online";

pub const ALL: &[&str] = &[
    VERSION_QUERY,
    VERSION_UPLOAD,
    VERSION_CREATE,
    RELEASE_CREATE,
    RELEASE_QUERY,
    HISTORY_QUERY,
    START_APPROVE,
    SKIP_BETA,
    ONLINE,
];
