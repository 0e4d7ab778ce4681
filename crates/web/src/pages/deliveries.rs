//! Delivery pages: the resident's choice of timing per channel, the unsubscribe link of every
//! e-mail, and the administrators' list of messages that could not be delivered. The channels
//! are e-mail, Web Push when it is on, and SMS when the gateway is configured and the person has
//! a confirmed phone.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use pomoshnik_core::role::Role;
use pomoshnik_store::{DeliveryMode, FailedDelivery};
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::auth::{PageUser, Signed};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::views::moscow_time;

/// The e-mail channel, which every installation offers.
const EMAIL: &str = "email";
/// The Web Push channel, offered when the installation has a VAPID key.
const PUSH: &str = "push";
/// The SMS channel, offered when the installation has an SMS gateway.
const SMS: &str = "sms";

/// Failed deliveries listed on one page.
const FAILED_LIMIT: i64 = 200;

#[derive(Deserialize)]
pub struct ModeForm {
    csrf_token: Option<String>,
    mode: String,
    /// `email` when absent.
    channel: Option<String>,
}

/// `POST /notifications/settings`: stores how the signed-in person wants notifications on one
/// channel. A channel that is not offered to the person is rejected with 400.
pub async fn save_mode(State(state): State<AppState>, PageUser(signed): PageUser, Form(form): Form<ModeForm>) -> Response {
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    let Some(mode) = DeliveryMode::from_code(&form.mode) else {
        return error_page(ApiError::bad_request("invalid_delivery_mode"));
    };
    let channel = match form.channel.as_deref() {
        None | Some(EMAIL) => EMAIL,
        Some(PUSH) if state.config.push.is_some() => PUSH,
        Some(SMS) if sms_offered(&state, &signed.user) => SMS,
        Some(_) => return error_page(ApiError::bad_request("invalid_delivery_mode")),
    };
    if let Err(error) = state.store.set_delivery_mode(signed.user.id, channel, mode, Utc::now()).await {
        return error_page(error.into());
    }
    Redirect::to(&format!("/notifications?saved={channel}")).into_response()
}

/// Returns whether the person may choose SMS notifications: the installation sends them and
/// the account has a confirmed phone.
pub fn sms_offered(state: &AppState, user: &pomoshnik_store::User) -> bool {
    state.config.accounts.sms_notifications && user.phone.is_some() && user.confirmed
}

/// The signed-in person's mode on each channel, chosen or the channel's default.
pub struct ChannelModes {
    pub email: DeliveryMode,
    pub push: DeliveryMode,
    pub sms: DeliveryMode,
}

/// Returns the signed-in person's modes: SMS is off and the other channels are immediate
/// unless chosen otherwise.
pub async fn channel_modes(state: &AppState, user_id: i64) -> Result<ChannelModes, ApiError> {
    let modes = state.store.delivery_modes(user_id).await?;
    let mode_of = |code: &str| modes.iter().find(|(channel, _)| channel == code).map_or(DeliveryMode::default_for(code), |(_, mode)| *mode);
    Ok(ChannelModes { email: mode_of(EMAIL), push: mode_of(PUSH), sms: mode_of(SMS) })
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    layout: Layout,
    t: Tr,
    token: String,
    done: bool,
}

/// `GET /unsubscribe/{token}`: shows a confirmation button, so that mail scanners following
/// links do not unsubscribe anybody.
pub async fn confirm_unsubscribe(Path(token): Path<String>) -> Response {
    let layout = Layout::anonymous(Tr.t("unsubscribe-title"));
    render(&UnsubscribePage { layout, t: Tr, token, done: false })
}

/// `POST /unsubscribe/{token}`: turns e-mail off for the message's recipient. This is also the
/// one-click target of the `List-Unsubscribe-Post` header (RFC 8058). The token from the e-mail
/// is the only credential, so no session or form token is needed.
pub async fn unsubscribe(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match state.store.unsubscribe(&token, Utc::now()).await {
        Ok(Some((user_id, channel))) => {
            tracing::info!(user_id, channel, "unsubscribed by link");
            let layout = Layout::anonymous(Tr.t("unsubscribe-title"));
            render(&UnsubscribePage { layout, t: Tr, token, done: true })
        }
        Ok(None) => error_page(ApiError::not_found()),
        Err(error) => error_page(error.into()),
    }
}

#[derive(Template)]
#[template(path = "admin_deliveries.html")]
struct FailedDeliveriesPage {
    layout: Layout,
    t: Tr,
    deliveries: Vec<FailedDeliveryView>,
}

struct FailedDeliveryView {
    id: i64,
    /// Russian name of the channel, such as «SMS».
    channel: String,
    report_number: String,
    user_id: i64,
    attempts: i64,
    last_error: String,
    created_text: String,
}

impl FailedDeliveryView {
    fn new(delivery: &FailedDelivery) -> FailedDeliveryView {
        FailedDeliveryView {
            id: delivery.id,
            channel: channel_name(&delivery.channel),
            report_number: delivery.report_number.to_string(),
            user_id: delivery.user_id,
            attempts: delivery.attempts,
            last_error: delivery.last_error.clone(),
            created_text: moscow_time(delivery.created_at),
        }
    }
}

/// Returns the Russian name of a delivery channel, or its code for a channel without one.
fn channel_name(code: &str) -> String {
    let id = format!("sms-channel-{code}");
    if Tr.has(&id) { Tr.t(&id) } else { code.to_owned() }
}

/// `GET /admin/deliveries`: messages that failed for good, for administrators.
pub async fn failed(State(state): State<AppState>, PageUser(signed): PageUser) -> Response {
    if signed.user.role != Role::Admin {
        return error_page(ApiError::not_found());
    }
    let deliveries = match state.store.failed_deliveries(FAILED_LIMIT).await {
        Ok(deliveries) => deliveries,
        Err(error) => return error_page(error.into()),
    };
    let deliveries = deliveries.iter().map(FailedDeliveryView::new).collect();
    let layout = Layout::for_user(&state, &signed, Tr.t("failed-deliveries-title")).await;
    render(&FailedDeliveriesPage { layout, t: Tr, deliveries })
}

#[derive(Deserialize)]
pub struct RetryForm {
    csrf_token: Option<String>,
    /// One delivery to retry; without it every listed delivery is retried.
    id: Option<i64>,
}

/// `POST /admin/deliveries/retry`: puts one failed delivery, or all listed, back in the queue.
pub async fn retry(State(state): State<AppState>, PageUser(signed): PageUser, Form(form): Form<RetryForm>) -> Response {
    let store = state.store.as_ref();
    let listed = || async { Ok(store.failed_deliveries(FAILED_LIMIT).await?.iter().map(|delivery| delivery.id).collect()) };
    let retry = |ids: Vec<i64>| async move { store.retry_failed_deliveries(&ids, Utc::now()).await };
    retry_failed(&signed, form, "email", listed, retry, "/admin/deliveries").await
}

/// Puts failed outbox rows back in the queue for an administrator: the form's one id, or every
/// id that `listed` returns. `outbox` names the queue in the log, and the page goes back to
/// `back_to`. Other roles get 404.
pub(super) async fn retry_failed<L, LF, R, RF>(signed: &Signed, form: RetryForm, outbox: &str, listed: L, retry: R, back_to: &str) -> Response
where
    L: FnOnce() -> LF,
    LF: Future<Output = pomoshnik_store::Result<Vec<i64>>>,
    R: FnOnce(Vec<i64>) -> RF,
    RF: Future<Output = pomoshnik_store::Result<u64>>,
{
    if signed.user.role != Role::Admin {
        return error_page(ApiError::not_found());
    }
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    let ids = match form.id {
        Some(id) => vec![id],
        None => match listed().await {
            Ok(ids) => ids,
            Err(error) => return error_page(error.into()),
        },
    };
    match retry(ids).await {
        Ok(count) => {
            tracing::info!(admin_id = signed.user.id, count, outbox, "failed deliveries queued again");
            Redirect::to(back_to).into_response()
        }
        Err(error) => error_page(error.into()),
    }
}
