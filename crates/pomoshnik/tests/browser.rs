//! A resident files a report through the web form in real headless Chromium and finds it in
//! «Мои обращения». Needs Debian's `chromium` and `chromium-driver`; `.ci/run` installs them.

mod browser_support;

use std::time::{Duration, Instant};

use browser_support::*;
use thirtyfour::prelude::*;

async fn submit_report_form(browser: &WebDriver) -> String {
    let description = "Во дворе третий день не вывозят мусор, контейнеры переполнены";
    browser.find(By::Id("description")).await.unwrap().send_keys(description).await.unwrap();
    browser.find(By::Css("#report-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_path(browser, "/reports/2").await;
    wait_for_element(browser, By::Id("report-number")).await.text().await.unwrap()
}

/// A tile server on loopback that answers every tile with the same small PNG.
async fn start_tile_server() -> String {
    const TILE: &[u8] = include_bytes!("../../web/static/vendor/leaflet/images/layers.png");
    let app = axum::Router::new().route(
        "/{z}/{x}/{y}",
        axum::routing::get(|| async { ([(axum::http::header::CONTENT_TYPE, "image/png")], TILE) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/{{z}}/{{x}}/{{y}}.png")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resident_files_report_in_chromium() {
    let session = BrowserSession::start(None).await;
    let (browser, base) = (&session.browser, session.base.as_str());

    let number = file_report(&browser, &base).await;

    let status = browser.find(By::Id("report-status")).await.unwrap().text().await.unwrap();
    let image_count = browser.find_all(By::Css(".files img")).await.unwrap().len();
    save_screenshot(&browser, "browser-report-card.png").await;

    browser.goto(format!("{base}/my/reports")).await.unwrap();
    let table = browser.find(By::Css("main table")).await.unwrap().text().await.unwrap();
    let screenshot = save_screenshot(&browser, "browser-my-reports.png").await;
    session.finish().await;

    assert!(number.len() == 12 && number.as_bytes()[4] == b'-', "report number {number:?} is not YEAR-SEQUENCE");
    assert_eq!(status, "Принято");
    assert_eq!(image_count, 1, "the card shows the attached photo");
    assert!(table.contains(&number), "«Мои обращения» does not list {number}: {table}");
    assert!(table.contains("Неубранный мусор или снег"));
    assert!(screenshot.starts_with(b"\x89PNG"), "the screenshot is a PNG");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_located_by_address_search() {
    let session = BrowserSession::start(None).await;
    let (browser, base) = (&session.browser, session.base.as_str());

    sign_in(&browser, &base).await;
    browser.goto(format!("{base}/reports/new/uncleaned_litter_snow")).await.unwrap();
    let map_count = browser.find_all(By::Id("map")).await.unwrap().len();
    browser.find(By::Id("find")).await.unwrap().send_keys("Госпитальная ул 14").await.unwrap();
    browser.find(By::Css("form.address-search button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_element(&browser, By::Css(".address-results a")).await.click().await.unwrap();
    let latitude = wait_for_value(&browser, "latitude").await;
    let address = browser.find(By::Id("address")).await.unwrap().value().await.unwrap().unwrap_or_default();
    let number = submit_report_form(&browser).await;
    let card = browser.find(By::Css("main")).await.unwrap().text().await.unwrap();
    session.finish().await;

    assert_eq!(map_count, 0, "without a tile server the form has no map");
    assert!(latitude.starts_with("55.7"), "latitude {latitude:?} came from the address");
    assert!(address.contains("Госпитальная"), "address {address:?} came from the search");
    assert!(number.starts_with("20"), "report number {number:?}");
    assert!(card.contains("Басманный район"), "the card names the district: {card}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_located_on_map() {
    let tiles = start_tile_server().await;
    let session = BrowserSession::start(Some(tiles)).await;
    let (browser, base) = (&session.browser, session.base.as_str());

    sign_in(&browser, &base).await;
    browser.goto(format!("{base}/reports/new/uncleaned_litter_snow")).await.unwrap();
    let map = browser.find(By::Id("map")).await.unwrap();
    map.wait_until().displayed().await.unwrap();
    // A click in the middle of the map picks the map's centre, central Moscow.
    map.click().await.unwrap();
    let latitude = wait_for_value(&browser, "latitude").await;
    let longitude = wait_for_value(&browser, "longitude").await;
    save_screenshot(&browser, "browser-map-form.png").await;
    let number = submit_report_form(&browser).await;
    let card = browser.find(By::Css("main")).await.unwrap().text().await.unwrap();
    session.finish().await;

    let latitude: f64 = latitude.parse().unwrap();
    let longitude: f64 = longitude.parse().unwrap();
    assert!((latitude - 55.7558).abs() < 0.01, "latitude {latitude} is the map centre");
    assert!((longitude - 37.6173).abs() < 0.01, "longitude {longitude} is the map centre");
    assert!(number.starts_with("20"), "report number {number:?}");
    assert!(card.contains("Центральный административный округ"), "the card names the okrug: {card}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn category_list_narrows_while_typing() {
    let session = BrowserSession::start(None).await;
    let (browser, base) = (&session.browser, session.base.as_str());

    sign_in(&browser, &base).await;
    browser.goto(format!("{base}/reports/new")).await.unwrap();
    browser.find(By::Id("category-search")).await.unwrap().send_keys("паркофка").await.unwrap();

    let deadline = Instant::now() + Duration::from_secs(20);
    let visible = loop {
        let mut visible = Vec::new();
        for item in browser.find_all(By::Css(".category-list li[data-code]")).await.unwrap() {
            if item.is_displayed().await.unwrap() {
                visible.push(item.attr("data-code").await.unwrap().unwrap_or_default());
            }
        }
        if visible.len() < 8 || Instant::now() > deadline {
            break visible;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    session.finish().await;

    assert!(visible.contains(&"parking_violation".to_owned()), "{visible:?}");
    assert!(visible.contains(&"parking_on_lawn".to_owned()), "{visible:?}");
    assert!(!visible.contains(&"unauthorized_trade".to_owned()), "{visible:?}");
    assert!(!visible.contains(&"uncleaned_litter_snow".to_owned()), "{visible:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_change_shown_without_reload() {
    let session = BrowserSession::start(None).await;
    let (browser, base) = (&session.browser, session.base.as_str());
    let number = file_report(browser, base).await;
    // A value that a page load would clear.
    browser.execute("window.stillTheSamePage = true;", Vec::new()).await.unwrap();

    let client = reqwest::Client::new();
    let session_answer: serde_json::Value = client
        .post(format!("{base}/api/v1/session"))
        .json(&serde_json::json!({ "login": MODERATOR_EMAIL, "password": MODERATOR_PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session_answer["token"].as_str().expect("the moderator signs in").to_owned();
    let change = client
        .post(format!("{base}/api/v1/reports/{number}/transitions"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "to": "under_review" }))
        .send()
        .await
        .unwrap();
    assert_eq!(change.status(), reqwest::StatusCode::OK, "the moderator's status change failed");

    let deadline = Instant::now() + Duration::from_secs(20);
    let mut status = String::new();
    while Instant::now() < deadline {
        status = browser.find(By::Id("report-status")).await.unwrap().text().await.unwrap();
        if status == "На проверке" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let notice = browser.find(By::Id("live-notice")).await.unwrap().text().await.unwrap();
    let badge = browser.find(By::Id("unread-badge")).await.unwrap().text().await.unwrap();
    let same_page: bool = browser.execute("return window.stillTheSamePage === true;", Vec::new()).await.unwrap().convert().unwrap();
    save_screenshot(browser, "browser-live-status.png").await;
    session.finish().await;

    assert_eq!(status, "На проверке", "the card did not show the new status within 20 s");
    assert!(same_page, "the page was reloaded instead of updated");
    assert!(notice.contains("Статус обращения изменился: «На проверке»"), "live notice: {notice:?}");
    assert_eq!(badge, "1", "the header does not count the new notification");
}
