//! Web Push (RFC 8030, with message encryption by RFC 8291 and VAPID by RFC 8292): browsers
//! subscribe from the notification settings, and the worker in the `pomoshnik` crate sends each
//! notification to the person's browsers through their push services.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use pomoshnik_store::{Delivery, NotificationKind, PushSubscription};
use serde::{Deserialize, Serialize};

use crate::auth::PageUser;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::mail::notification_subject;
use crate::state::AppState;

/// Web Push settings of the installation.
#[derive(Debug, Clone)]
pub struct PushSettings {
    /// The VAPID public key (an uncompressed P-256 point, base64url), which browsers need to
    /// subscribe.
    pub public_key: String,
    /// Hosts of the push services that subscriptions may point to. Endpoints must use HTTPS,
    /// except on a loopback address listed here.
    pub endpoint_hosts: Vec<String>,
}

/// Hosts of the push services of Chromium-based browsers, Firefox, Safari and Edge.
pub const DEFAULT_ENDPOINT_HOSTS: [&str; 4] = ["fcm.googleapis.com", "updates.push.services.mozilla.com", "web.push.apple.com", "wns2-par02p.notify.windows.com"];

/// A browser's subscription as `PushSubscription.toJSON()` gives it, with the form token.
#[derive(Deserialize)]
pub struct SubscriptionForm {
    csrf_token: Option<String>,
    endpoint: String,
    keys: Option<SubscriptionKeys>,
}

#[derive(Deserialize)]
pub struct SubscriptionKeys {
    p256dh: String,
    auth: String,
}

/// `POST /push/subscriptions`: saves the signed-in person's browser subscription.
pub async fn subscribe(State(state): State<AppState>, PageUser(signed): PageUser, Json(form): Json<SubscriptionForm>) -> Response {
    let Some(settings) = &state.config.push else {
        return ApiError::not_found().into_response();
    };
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error.into_response();
    }
    let subscription = match checked_subscription(settings, signed.user.id, form) {
        Ok(subscription) => subscription,
        Err(code) => return ApiError::bad_request(code).into_response(),
    };
    match state.store.save_push_subscription(&subscription).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => ApiError::from(error).into_response(),
    }
}

#[derive(Deserialize)]
pub struct UnsubscribeForm {
    csrf_token: Option<String>,
    endpoint: String,
}

/// `POST /push/subscriptions/delete`: deletes the subscription of one of the signed-in person's browsers.
pub async fn unsubscribe(State(state): State<AppState>, PageUser(signed): PageUser, Json(form): Json<UnsubscribeForm>) -> Response {
    if state.config.push.is_none() {
        return ApiError::not_found().into_response();
    }
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error.into_response();
    }
    match state.store.delete_push_subscription(&form.endpoint, Some(signed.user.id)).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => ApiError::not_found().into_response(),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// Checks a subscription from a browser and returns it ready to store, or the code of the
/// error to show.
fn checked_subscription(settings: &PushSettings, user_id: i64, form: SubscriptionForm) -> Result<PushSubscription, &'static str> {
    let Some(keys) = form.keys else {
        return Err("push_keys_missing");
    };
    if !endpoint_allowed(settings, &form.endpoint) {
        return Err("push_endpoint_not_allowed");
    }
    // An uncompressed P-256 point is 65 bytes starting with 4; the secret is 16 bytes (RFC 8291).
    let public_key = URL_SAFE_NO_PAD.decode(keys.p256dh.trim_end_matches('=')).map_err(|_| "push_keys_invalid")?;
    let secret = URL_SAFE_NO_PAD.decode(keys.auth.trim_end_matches('=')).map_err(|_| "push_keys_invalid")?;
    if public_key.len() != 65 || public_key[0] != 4 || secret.len() != 16 {
        return Err("push_keys_invalid");
    }
    Ok(PushSubscription { user_id, endpoint: form.endpoint, p256dh: keys.p256dh, auth: keys.auth, created_at: Utc::now() })
}

/// Tells whether the worker may post to `endpoint`: HTTPS to a listed push service, or plain HTTP
/// to a listed loopback address. Any other address would let a subscriber make the worker post
/// to hosts of their choosing.
pub fn endpoint_allowed(settings: &PushSettings, endpoint: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(endpoint) else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    let listed = settings.endpoint_hosts.iter().any(|allowed| allowed.eq_ignore_ascii_case(host));
    let loopback = host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().is_ok_and(|address| address.is_loopback());
    listed && url.username().is_empty() && (url.scheme() == "https" || (url.scheme() == "http" && loopback))
}

/// The JSON a push message carries, which the service worker shows as a notification.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PushMessage {
    pub title: String,
    pub body: String,
    /// The page to open on a click.
    pub url: String,
}

/// Characters of a dialogue message shown in a push notification.
const MAX_BODY_CHARS: usize = 300;

/// Builds the push message for one notification, or one for a day's digest of several.
/// `public_url` is the service's address without a trailing slash. Panics if `deliveries` is
/// empty.
pub fn push_message(deliveries: &[Delivery], public_url: &str) -> PushMessage {
    let first = &deliveries[0];
    if deliveries.len() > 1 || first.digest {
        let count = i64::try_from(deliveries.len()).unwrap_or(i64::MAX);
        return PushMessage { title: Tr.count("mail-digest-subject", count), body: Tr.t("push-digest-body"), url: format!("{public_url}/notifications") };
    }
    let notification = &first.notification;
    let number = notification.report_number.to_string();
    // A push message carries at most about 4 KB, so a long message is cut.
    let body = match (&notification.kind, &notification.message_text) {
        (NotificationKind::Message, Some(text)) if text.chars().count() > MAX_BODY_CHARS => format!("{}…", text.chars().take(MAX_BODY_CHARS).collect::<String>()),
        (NotificationKind::Message, Some(text)) => text.clone(),
        _ => notification.category_name.clone(),
    };
    PushMessage { title: notification_subject(notification), body, url: format!("{public_url}/reports/{number}") }
}
