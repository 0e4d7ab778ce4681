//! What every request handler shares.

use std::sync::Arc;

use pomoshnik_core::calendar::Calendar;
use pomoshnik_media::FileStore;
use pomoshnik_store::Store;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Whether cookies carry the `Secure` attribute; on whenever the public address is HTTPS.
    pub secure_cookies: bool,
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub files: Arc<FileStore>,
    pub calendar: &'static Calendar,
    pub config: Arc<WebConfig>,
}
