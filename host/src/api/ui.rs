//! The web UI: static files from `--ui-dir` (the output of `just ui`), with `index.html`
//! for any other path so the UI's own routes load on a reload.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// Routes for the UI at `/`. Files are revalidated on every load (`no-cache` with ETag and
/// Last-Modified), so a new build shows at once and an unchanged one costs a 304.
pub fn routes<S: Clone + Send + Sync + 'static>(dir: &Path) -> Router<S> {
    let index = dir.join("index.html");
    if !index.exists() {
        tracing::warn!(dir = %dir.display(), "no UI build found (run `just ui`); / answers with a hint");
        let hint = "The edge web UI is not built. Run `just ui` (or `just dev`), then reload.\n";
        return Router::new().fallback(move || async move { hint });
    }
    let files = ServeDir::new(dir).fallback(ServeFile::new(index));
    Router::new()
        .fallback_service(files)
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
}
