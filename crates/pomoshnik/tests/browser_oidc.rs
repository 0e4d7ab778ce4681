//! A person signs in through an OpenID Connect provider in real headless Chromium and lands in
//! «Мои обращения». The provider is `oidc-provider` run by Node on 127.0.0.1 (see
//! `tests/oidc-provider/provider.mjs`). Needs Debian's `chromium` and `chromium-driver`, and
//! Node with npm; `.ci/run` installs them.

mod browser_support;
mod oidc;

use browser_support::*;
use oidc::TestProviders;
use thirtyfour::prelude::*;

#[tokio::test]
async fn provider_sign_in_opens_cabinet() {
    let data_dir = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let mut providers = None;
    let (base, stop) = start_service_with_providers(data_dir.path(), None, |base| {
        let started = TestProviders::start(base);
        let configs = started.all().into_iter().filter(|config| ["mosru", "sberid", "esia"].contains(&config.code.as_str())).collect();
        providers = Some(started);
        configs
    })
    .await;
    let (_driver, port) = start_chromedriver();
    let browser = open_browser(port, profile.path()).await;

    browser.goto(format!("{base}/login")).await.unwrap();
    let button = wait_for_element(&browser, By::Id("sign-in-mosru")).await;
    assert_eq!(button.text().await.unwrap(), "Войти через mos.ru");
    save_screenshot(&browser, "oidc-login.png").await;
    button.click().await.unwrap();

    // The provider's own sign-in page on another port of 127.0.0.1.
    let account = wait_for_element(&browser, By::Id("account")).await;
    account.send_keys("browser-person").await.unwrap();
    browser.find(By::Id("sign-in")).await.unwrap().click().await.unwrap();

    wait_for_path(&browser, "/my/reports").await;
    let heading = wait_for_element(&browser, By::Css("main h1")).await.text().await.unwrap();
    assert_eq!(heading, "Мои обращения");
    wait_for_element(&browser, By::Css("form[action='/logout']")).await;
    save_screenshot(&browser, "oidc-cabinet.png").await;

    browser.goto(format!("{base}/account")).await.unwrap();
    let linked = wait_for_element(&browser, By::Id("provider-mosru")).await.text().await.unwrap();
    assert!(linked.contains("привязан"), "the account page does not list mos.ru as linked: {linked}");
    save_screenshot(&browser, "oidc-account.png").await;

    browser.quit().await.unwrap();
    let _ = stop.send(());
    drop(providers);
}
