//! An SMS gateway on loopback for the tests of codes, recovery and SMS notifications. It speaks
//! the HTTP JSON of `HttpSmsSender` and records the messages it accepted; requests without the
//! right bearer token get 401 and are not recorded.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use pomoshnik_web::accounts::HttpSmsSender;
use serde_json::Value;

/// A text message the gateway accepted.
#[derive(Debug, Clone)]
pub struct Sms {
    pub to: String,
    pub text: String,
}

impl Sms {
    /// Returns the first run of six digits in the text: the one-time code.
    pub fn code(&self) -> String {
        let digits: Vec<char> = self.text.chars().collect();
        let start = digits.windows(6).position(|window| window.iter().all(char::is_ascii_digit)).unwrap_or_else(|| panic!("no code in {:?}", self.text));
        digits[start..start + 6].iter().collect()
    }
}

/// How the gateway answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayMode {
    /// 202 Accepted, and the message is recorded.
    Accepting,
    /// 503 Service Unavailable, as during an outage.
    Unavailable,
    /// 400 Bad Request, as for a number the operator does not serve.
    Rejecting,
}

#[derive(Clone)]
pub struct Gateway {
    messages: Arc<Mutex<Vec<Sms>>>,
    mode: Arc<Mutex<GatewayMode>>,
    token: String,
    /// The address of the gateway's `/messages` endpoint.
    pub url: String,
}

impl Gateway {
    /// Starts a gateway that accepts messages carrying `token`.
    pub async fn start(token: &str) -> Gateway {
        let messages = Arc::new(Mutex::new(Vec::new()));
        let mode = Arc::new(Mutex::new(GatewayMode::Accepting));
        let (recorded, answer, expected) = (messages.clone(), mode.clone(), format!("Bearer {token}"));
        let app = axum::Router::new().route(
            "/messages",
            axum::routing::post(move |headers: HeaderMap, Json(body): Json<Value>| {
                let (recorded, answer, expected) = (recorded.clone(), answer.clone(), expected.clone());
                async move {
                    let authorization = headers.get("authorization").and_then(|value| value.to_str().ok());
                    if authorization != Some(expected.as_str()) {
                        return StatusCode::UNAUTHORIZED;
                    }
                    match *answer.lock().expect("gateway lock poisoned") {
                        GatewayMode::Unavailable => return StatusCode::SERVICE_UNAVAILABLE,
                        GatewayMode::Rejecting => return StatusCode::BAD_REQUEST,
                        GatewayMode::Accepting => {}
                    }
                    let to = body["to"].as_str().unwrap_or_default().to_owned();
                    let text = body["text"].as_str().unwrap_or_default().to_owned();
                    recorded.lock().expect("gateway lock poisoned").push(Sms { to, text });
                    StatusCode::ACCEPTED
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("failed to bind the gateway");
        let url = format!("http://{}/messages", listener.local_addr().expect("no gateway address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Gateway { messages, mode, token: token.to_owned(), url }
    }

    pub fn set_mode(&self, mode: GatewayMode) {
        *self.mode.lock().expect("gateway lock poisoned") = mode;
    }

    pub fn messages(&self) -> Vec<Sms> {
        self.messages.lock().expect("gateway lock poisoned").clone()
    }

    /// Returns the last message accepted.
    pub fn last(&self) -> Sms {
        self.messages().last().cloned().expect("the gateway received no message")
    }

    /// Returns the messages accepted after the first `seen`.
    pub fn since(&self, seen: usize) -> Vec<Sms> {
        self.messages()[seen..].to_vec()
    }

    /// Returns the service's sender to this gateway.
    pub fn sender(&self) -> Arc<HttpSmsSender> {
        Arc::new(HttpSmsSender::new(&self.url, &self.token, Duration::from_secs(5)).expect("invalid gateway settings"))
    }
}
