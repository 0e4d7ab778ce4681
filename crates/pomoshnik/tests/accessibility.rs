//! Accessibility of the resident and staff pages in real headless Chromium: axe-core checks
//! each page against the WCAG 2.1 A and AA rules, and a resident files a report with the
//! keyboard alone. Needs Debian's `chromium` and `chromium-driver`; `.ci/run` installs them.
//! axe-core is vendored under `tests/fixtures/axe-core`, so nothing is downloaded.

mod browser_support;

use std::time::{Duration, Instant};

use browser_support::*;
use serde_json::Value;
use thirtyfour::prelude::*;

const AXE_SCRIPT: &str = include_str!("fixtures/axe-core/axe.min.js");

/// Maximum time for one axe run. Each page took 0.1–0.4 s in a debug build on two cores.
const AXE_TIMEOUT: Duration = Duration::from_secs(15);

/// Runs axe on the page the browser shows, and returns one line per violation of impact
/// `serious` or `critical`: rule id, impact, help text and the selectors of the failing nodes.
async fn serious_violations(browser: &WebDriver) -> Vec<String> {
    browser.execute(AXE_SCRIPT, Vec::new()).await.expect("axe.min.js runs in the page");
    let script = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'], resultTypes: ['violations'] })
            .then((results) => done({ violations: results.violations }))
            .catch((error) => done({ error: String(error) }));
    "#;
    let result = browser.execute_async(script, Vec::new()).await.expect("axe.run finishes within the script timeout");
    let result = result.json();
    assert!(result.get("error").is_none(), "axe.run failed: {}", result["error"]);

    let mut lines = Vec::new();
    for violation in result["violations"].as_array().expect("axe returns a violations array") {
        let impact = violation["impact"].as_str().unwrap_or("none");
        if impact != "serious" && impact != "critical" {
            continue;
        }
        let selectors: Vec<String> = violation["nodes"].as_array().into_iter().flatten().map(|node| node["target"].to_string()).collect();
        lines.push(format!("{} ({impact}): {} — {}", violation["id"].as_str().unwrap_or("?"), violation["help"].as_str().unwrap_or(""), selectors.join(", ")));
    }
    lines
}

/// Opens `path` and adds the page's serious violations, if any, to `failures`.
async fn check_path(browser: &WebDriver, base: &str, path: &str, failures: &mut Vec<String>) {
    browser.goto(format!("{base}{path}")).await.unwrap();
    check_current(browser, path, failures).await;
}

/// Checks the page the browser shows now, named `label` in the failure message.
async fn check_current(browser: &WebDriver, label: &str, failures: &mut Vec<String>) {
    let started = Instant::now();
    let violations = serious_violations(browser).await;
    println!("{label}: {} serious or critical violations, checked in {:?}", violations.len(), started.elapsed());
    if !violations.is_empty() {
        failures.push(format!("{label}:\n  {}", violations.join("\n  ")));
    }
}

/// Signs out with the header's button, so the next sign-in starts without a session.
async fn sign_out(browser: &WebDriver, base: &str) {
    browser.goto(format!("{base}/")).await.unwrap();
    browser.find(By::Css("form[action='/logout'] button")).await.unwrap().click().await.unwrap();
    wait_for_element(&browser, By::Css("a[href='/login']")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_pass_axe_wcag21_aa() {
    let session = BrowserSession::start(None).await;
    let (browser, base) = (&session.browser, session.base.as_str());
    browser.set_script_timeout(AXE_TIMEOUT).await.unwrap();
    let mut failures = Vec::new();

    check_path(&browser, &base, "/", &mut failures).await;
    check_path(&browser, &base, "/login", &mut failures).await;
    browser.find(By::Id("login")).await.unwrap().send_keys(RESIDENT_EMAIL).await.unwrap();
    browser.find(By::Id("password")).await.unwrap().send_keys("wrong-password-here").await.unwrap();
    browser.find(By::Css("main form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_element(&browser, By::Id("login-error")).await;
    check_current(&browser, "/login with an error", &mut failures).await;
    check_path(&browser, &base, "/no-such-page", &mut failures).await;
    check_path(&browser, &base, "/password/recovery", &mut failures).await;

    // An image without a text alternative proves that a violation reaches the report.
    browser.execute("document.querySelector('main').appendChild(document.createElement('img')).id = 'no-alt';", Vec::new()).await.unwrap();
    let planted = serious_violations(&browser).await;
    assert!(planted.iter().any(|line| line.starts_with("image-alt (critical)") && line.contains("#no-alt")), "axe missed an image without alt: {planted:?}");

    // The resident files a report; the card is checked right after filing.
    let number = file_report(&browser, &base).await;
    let images = browser.find_all(By::Css(".files img")).await.unwrap().len();
    assert_eq!(images, 1, "the card of the new report shows its photo");
    check_current(&browser, "the card of a report just filed", &mut failures).await;

    check_path(&browser, &base, "/", &mut failures).await;
    check_path(&browser, &base, "/reports/new", &mut failures).await;
    check_path(&browser, &base, "/reports/new?q=парковка", &mut failures).await;
    check_path(&browser, &base, "/reports/new/parking_violation", &mut failures).await;
    check_path(&browser, &base, "/reports/new/uncleaned_litter_snow?find=Тверская", &mut failures).await;

    // An empty submission past the browser's own checks comes back with every error shown.
    browser.goto(format!("{base}/reports/new/parking_violation")).await.unwrap();
    browser.execute("document.getElementById('report-form').noValidate = true;", Vec::new()).await.unwrap();
    browser.find(By::Css("#report-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_element(&browser, By::Id("error-summary")).await;
    check_current(&browser, "the report form with errors", &mut failures).await;
    let script = r#"
        return Array.from(document.querySelectorAll('#report-form [aria-invalid=true]')).map((input) => {
            const described = (input.getAttribute('aria-describedby') || '').split(' ').map((id) => document.getElementById(id));
            return input.id + (described.some((element) => element && element.classList.contains('field-error')) ? '' : ' (no error message linked)');
        });
    "#;
    let invalid: Vec<String> = browser.execute(script, Vec::new()).await.unwrap().convert().unwrap();
    assert!(invalid.contains(&"description".to_owned()), "the empty description is not marked invalid: {invalid:?}");
    assert!(invalid.iter().all(|id| !id.ends_with("(no error message linked)")), "invalid fields without a linked message: {invalid:?}");

    check_path(&browser, &base, "/my/reports", &mut failures).await;
    check_path(&browser, &base, "/notifications", &mut failures).await;
    check_path(&browser, &base, "/no-such-page", &mut failures).await;
    sign_out(&browser, &base).await;

    // The moderator opens the queue and the card with its actions, and takes the report into
    // review, which sends the resident a notification.
    sign_in_as(&browser, &base, MODERATOR_EMAIL, MODERATOR_PASSWORD).await;
    check_path(&browser, &base, "/staff/queue", &mut failures).await;
    check_path(&browser, &base, "/staff/recovery", &mut failures).await;
    check_path(&browser, &base, &format!("/reports/{number}"), &mut failures).await;
    browser.find(By::Css("button[data-action=under_review]")).await.unwrap().click().await.unwrap();
    wait_for_element(&browser, By::Css("button[data-action=dispatched]")).await;
    check_current(&browser, "the staff card under review", &mut failures).await;
    sign_out(&browser, &base).await;

    // Back as the resident, with an unread notification in the header.
    sign_in(&browser, &base).await;
    check_path(&browser, &base, "/", &mut failures).await;
    check_path(&browser, &base, "/notifications", &mut failures).await;

    session.finish().await;
    assert!(failures.is_empty(), "axe found serious or critical WCAG 2.1 A/AA violations:\n{}", failures.join("\n"));
}

/// Describes the focused element and whether its focus indicator is visible: an outline at
/// least 2 px wide whose colour has a contrast of at least 3:1 with the background behind the
/// element (WCAG 2.1 success criterion 1.4.11, non-text contrast).
const FOCUS_SCRIPT: &str = r#"
    const element = document.activeElement;
    function luminance(color) {
        const channels = color.match(/[\d.]+/g).slice(0, 3).map(Number).map((value) => {
            const c = value / 255;
            return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
        });
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
    }
    function backgroundBehind(node) {
        for (let current = node; current; current = current.parentElement) {
            const background = getComputedStyle(current).backgroundColor;
            const alpha = background.match(/[\d.]+/g)[3];
            if (alpha === undefined || Number(alpha) > 0) {
                return background;
            }
        }
        return 'rgb(255, 255, 255)';
    }
    const style = getComputedStyle(element);
    const width = parseFloat(style.outlineWidth) || 0;
    const background = backgroundBehind(element.parentElement);
    const [lighter, darker] = [luminance(style.outlineColor), luminance(background)].sort((a, b) => b - a);
    const contrast = (lighter + 0.05) / (darker + 0.05);
    const rect = element.getBoundingClientRect();
    return {
        description: element.tagName.toLowerCase() + (element.id ? '#' + element.id : '') + (element.getAttribute('href') ? '[href=' + element.getAttribute('href') + ']' : '') + ' «' + (element.innerText || element.value || '').trim().slice(0, 40) + '»',
        matches: arguments[0] ? element.matches(arguments[0]) : false,
        inMain: Boolean(element.closest('main')),
        onScreen: rect.width > 0 && rect.height > 0 && rect.left >= 0 && rect.top >= 0 && rect.right <= window.innerWidth,
        outline: style.outlineStyle + ' ' + style.outlineWidth + ' ' + style.outlineColor + ' on ' + background,
        visible: style.outlineStyle !== 'none' && width >= 2 && contrast >= 3,
        contrast: contrast,
    };
"#;

/// The focused element, as FOCUS_SCRIPT describes it.
struct Focus {
    description: String,
    matches: bool,
    in_main: bool,
    on_screen: bool,
    outline: String,
    visible: bool,
}

async fn focus(browser: &WebDriver, selector: &str) -> Focus {
    let result = browser.execute(FOCUS_SCRIPT, vec![Value::from(selector)]).await.unwrap();
    let json = result.json();
    Focus {
        description: json["description"].as_str().unwrap_or_default().to_owned(),
        matches: json["matches"].as_bool().unwrap_or(false),
        in_main: json["inMain"].as_bool().unwrap_or(false),
        on_screen: json["onScreen"].as_bool().unwrap_or(false),
        outline: format!("{} (contrast {:.1}:1)", json["outline"].as_str().unwrap_or_default(), json["contrast"].as_f64().unwrap_or(0.0)),
        visible: json["visible"].as_bool().unwrap_or(false),
    }
}

/// Sends keys to the focused element, as a keyboard user would type them. A file input takes
/// Element Send Keys as a list of paths, so on one the keys go through the Actions API, which
/// types into whatever has the focus.
async fn press(browser: &WebDriver, keys: impl Into<TypingData>) {
    let active = browser.active_element().await.unwrap();
    if active.attr("type").await.unwrap().as_deref() == Some("file") {
        browser.action_chain().send_keys(keys).perform().await.unwrap();
    } else {
        active.send_keys(keys).await.unwrap();
    }
}

/// Types a path into the focused file input, which chooses that file.
async fn choose_file(browser: &WebDriver, path: &std::path::Path) {
    let active = browser.active_element().await.unwrap();
    active.send_keys(path.display().to_string()).await.unwrap();
}

/// Presses Tab until the element matching `selector` has the focus, at most `max_presses`
/// times, and records every focused element whose focus indicator is not visible.
async fn tab_to(browser: &WebDriver, selector: &str, max_presses: usize, invisible: &mut Vec<String>) {
    for _ in 0..max_presses {
        press(browser, Key::Tab).await;
        let focused = focus(browser, selector).await;
        if !focused.visible {
            invisible.push(format!("{} has no visible focus indicator: {}", focused.description, focused.outline));
        }
        if focused.matches {
            return;
        }
    }
    let url = browser.current_url().await.unwrap();
    panic!("{max_presses} presses of Tab on {url} did not reach {selector}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_filed_with_keyboard_only() {
    let session = BrowserSession::start(None).await;
    let (browser, base) = (&session.browser, session.base.as_str());
    let mut invisible = Vec::new();

    // The first Tab reaches the skip link, which shows itself; Enter on it moves the
    // sequential focus starting point into the main content.
    browser.goto(format!("{base}/")).await.unwrap();
    press(&browser, Key::Tab).await;
    let skip_link = focus(&browser, ".skip-link").await;
    press(&browser, Key::Enter).await;
    press(&browser, Key::Tab).await;
    let after_skip = focus(&browser, "main a[href='/login']").await;

    press(&browser, Key::Enter).await;
    wait_for_path(&browser, "/login").await;
    tab_to(&browser, "#login", 20, &mut invisible).await;
    press(&browser, RESIDENT_EMAIL).await;
    tab_to(&browser, "#password", 5, &mut invisible).await;
    press(&browser, RESIDENT_PASSWORD).await;
    press(&browser, Key::Enter).await;
    browser.find(By::Css("form[action='/logout']")).await.expect("the resident is signed in");

    tab_to(&browser, "a[href='/reports/new']", 20, &mut invisible).await;
    press(&browser, Key::Enter).await;
    wait_for_path(&browser, "/reports/new").await;
    tab_to(&browser, "a[href='/reports/new/uncleaned_litter_snow']", 80, &mut invisible).await;
    press(&browser, Key::Enter).await;
    wait_for_path(&browser, "/reports/new/uncleaned_litter_snow").await;

    tab_to(&browser, "#address", 30, &mut invisible).await;
    press(&browser, "Тверская улица, 7").await;
    tab_to(&browser, "#latitude", 10, &mut invisible).await;
    press(&browser, "55.7640").await;
    tab_to(&browser, "#longitude", 5, &mut invisible).await;
    press(&browser, "37.6060").await;
    tab_to(&browser, "#description", 20, &mut invisible).await;
    press(&browser, "Во дворе третий день не вывозят мусор, контейнеры переполнены").await;
    tab_to(&browser, "#files", 10, &mut invisible).await;
    let photo = fixture_photo();
    assert!(photo.exists(), "fixture {} is missing", photo.display());
    choose_file(&browser, &photo).await;
    tab_to(&browser, "#report-form button[type=submit]", 10, &mut invisible).await;
    press(&browser, Key::Enter).await;

    wait_for_path(&browser, "/reports/2").await;
    let number = wait_for_element(&browser, By::Id("report-number")).await.text().await.unwrap();
    let status = browser.find(By::Id("report-status")).await.unwrap().text().await.unwrap();
    let images = browser.find_all(By::Css(".files img")).await.unwrap().len();
    save_screenshot(&browser, "keyboard-report-card.png").await;
    session.finish().await;

    assert!(skip_link.matches, "the first Tab focused {} instead of the skip link", skip_link.description);
    assert!(skip_link.on_screen, "the focused skip link stays off screen");
    assert!(skip_link.visible, "the focused skip link has no visible focus indicator: {}", skip_link.outline);
    assert!(after_skip.in_main, "Tab after the skip link focused {} outside the main content", after_skip.description);
    assert!(invisible.is_empty(), "focus not visible:\n{}", invisible.join("\n"));
    assert!(number.starts_with("20"), "report number {number:?}");
    assert_eq!(status, "Принято");
    assert_eq!(images, 1, "the card shows the photo chosen with the keyboard");
}
