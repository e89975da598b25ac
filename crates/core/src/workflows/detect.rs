//! Which API a portal speaks, for `bind` and `login` when `--backend` does not say.

use gopay_miniapp_portal::Backend;

use crate::error::CoreError;

pub async fn detect_backend(url: &str) -> Result<Backend, CoreError> {
    let backend = gopay_miniapp_portal::detect(url).await?;
    tracing::debug!(%url, %backend, "detected the portal's backend");
    Ok(backend)
}
