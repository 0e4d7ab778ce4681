//! An administrator creates a category through the catalog form in real headless Chromium, and
//! a resident then files a report in it through the filing form. Needs Debian's `chromium` and
//! `chromium-driver`; `.ci/run` installs them.

mod browser_support;

use browser_support::*;
use pomoshnik::{Installation, UserRequest};
use pomoshnik_core::role::Role;
use thirtyfour::components::SelectElement;
use thirtyfour::prelude::*;

const ADMIN_EMAIL: &str = "browser-admin@example.ru";
const ADMIN_PASSWORD: &str = "browser-admin-password";
const CATEGORY_NAME: &str = "Яма во дворе";

async fn type_into(browser: &WebDriver, id: &str, text: &str) {
    let input = browser.find(By::Id(id)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

async fn choose(browser: &WebDriver, id: &str, value: &str) {
    let select = SelectElement::new(&browser.find(By::Id(id)).await.unwrap()).await.unwrap();
    select.select_by_value(value).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_category_then_resident_files() {
    let data_dir = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let (base, stop) = start_service(data_dir.path(), None).await;
    let store = Installation::new(data_dir.path(), None).open_store().await.unwrap();
    let admin = UserRequest { email: ADMIN_EMAIL.into(), role: Role::Admin, agency: None, district: None, supervisor: false, password: ADMIN_PASSWORD.into() };
    pomoshnik::add_user(store.as_ref(), admin).await.unwrap();
    let (_driver, port) = start_chromedriver();
    let browser = open_browser(port, profile.path()).await;

    sign_in_as(&browser, &base, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    browser.goto(format!("{base}/admin/catalog")).await.unwrap();
    browser.find(By::Id("new-category")).await.unwrap().click().await.unwrap();
    wait_for_path(&browser, "/admin/catalog/categories/_new").await;
    type_into(&browser, "code", "yard_pothole").await;
    type_into(&browser, "name", CATEGORY_NAME).await;
    type_into(&browser, "description", "Выбоина на внутридворовом проезде").await;
    choose(&browser, "group", "landscaping").await;
    choose(&browser, "agency", "zhilishchnik").await;
    type_into(&browser, "deadline_working_days", "4").await;
    type_into(&browser, "keywords", "яма, выбоина").await;
    browser.find(By::Id("save-category")).await.unwrap().click().await.unwrap();
    let notice = wait_for_element(&browser, By::Id("catalog-notice")).await.text().await.unwrap();
    let admin_path = browser.current_url().await.unwrap().path().to_owned();
    save_screenshot(&browser, "browser-catalog-saved.png").await;
    browser.find(By::Css("form[action='/logout'] button")).await.unwrap().click().await.unwrap();
    wait_for_element(&browser, By::Css("a[href='/login']")).await;

    sign_in(&browser, &base).await;
    browser.goto(format!("{base}/reports/new")).await.unwrap();
    browser.find(By::LinkText(CATEGORY_NAME)).await.unwrap().click().await.unwrap();
    wait_for_path(&browser, "/reports/new/yard_pothole").await;
    browser.find(By::Id("address")).await.unwrap().send_keys("Тверская улица, 7").await.unwrap();
    browser.find(By::Id("latitude")).await.unwrap().send_keys("55.7640").await.unwrap();
    browser.find(By::Id("longitude")).await.unwrap().send_keys("37.6060").await.unwrap();
    browser.find(By::Id("description")).await.unwrap().send_keys("Во дворе глубокая яма, машины объезжают её по газону").await.unwrap();
    browser.find(By::Css("#report-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_path(&browser, "/reports/2").await;
    let number = wait_for_element(&browser, By::Id("report-number")).await.text().await.unwrap();
    let card = browser.find(By::Css("main")).await.unwrap().text().await.unwrap();
    browser.quit().await.unwrap();
    let _ = stop.send(());

    assert_eq!(admin_path, "/admin/catalog");
    assert!(notice.contains("Категория yard_pothole сохранена"), "notice: {notice:?}");
    assert!(number.starts_with("20"), "report number {number:?}");
    assert!(card.contains(CATEGORY_NAME), "the card does not name the new category: {card}");
    let report = store.report(&number.parse().unwrap()).await.unwrap().expect("the report is stored");
    assert_eq!(report.category_code, "yard_pothole");
    assert_eq!(report.deadline_working_days, 4);
    assert_eq!(store.filed_agency(report.id).await.unwrap().as_deref(), Some("zhilishchnik"));
}
