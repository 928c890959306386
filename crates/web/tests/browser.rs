//! The main journey in a real browser: headless Chromium, driven through chromedriver, against
//! the real server on a random local port. A clerk registers a work order and dispatches it; the
//! village handler signs for it and replies; the clerk records the callback; the caller looks it
//! up on the public page and rates it. Every page is photographed into
//! `target/test-output/browser/`.
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (`.ci/run` installs them). Without
//! them the test says so and skips — except under `CI=true`, where that is a failure.

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use fazhi_testkit::{PASSWORD, TestApp, TestDb};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-output/browser");
    std::fs::create_dir_all(&dir).expect("output folder");
    dir
}

struct Browser {
    c: Client,
    base: String,
    shots: PathBuf,
    n: u32,
}

impl Browser {
    async fn shot(&mut self, name: &str) {
        self.n += 1;
        let png = self.c.screenshot().await.expect("screenshot");
        std::fs::write(self.shots.join(format!("{:02}-{name}.png", self.n)), png).expect("write screenshot");
    }

    async fn goto(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.expect("navigate");
    }

    async fn fill(&self, css: &str, text: &str) {
        let e = self.c.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("no {css}"));
        e.clear().await.ok();
        e.send_keys(text).await.expect("type");
    }

    async fn select(&self, css: &str, value: &str) {
        let e = self.c.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("no {css}"));
        e.select_by_value(value).await.unwrap_or_else(|_| panic!("no option {value} in {css}"));
    }

    async fn click(&self, css: &str) {
        self.c.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("no {css}")).click().await.expect("click");
    }

    /// Clicks something that loads a new page, and waits until the old page is gone.
    async fn click_and_wait(&self, locator: Locator<'_>, confirm: bool) {
        let old = self.c.find(Locator::Css("html")).await.expect("page");
        self.c.find(locator).await.expect("clickable").click().await.expect("click");
        if confirm {
            tokio::time::sleep(Duration::from_millis(200)).await;
            self.c.accept_alert().await.expect("confirmation dialog");
        }
        for _ in 0..100 {
            if old.tag_name().await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.c.wait().for_element(Locator::Css("body")).await.expect("new page");
    }

    async fn text(&self) -> String {
        self.c.find(Locator::Css("body")).await.expect("body").text().await.expect("text")
    }

    async fn login(&self, user: &str) {
        self.goto("/login").await;
        self.fill("#username", user).await;
        self.fill("#password", PASSWORD).await;
        self.click_and_wait(Locator::Css("button[type=submit]"), false).await;
    }

    async fn logout(&self) {
        self.click_and_wait(Locator::Css("header form button"), false).await;
    }

    /// Opens an action's form on the case page and submits it, accepting its confirmation.
    async fn act(&self, action: &str, fill: &[(&str, &str)], selects: &[(&str, &str)], confirm: bool) {
        self.c
            .find(Locator::XPath(&format!("//summary[normalize-space()='{action}']")))
            .await
            .unwrap_or_else(|_| panic!("no action {action}"))
            .click()
            .await
            .expect("open action");
        for (css, v) in fill {
            self.fill(css, v).await;
        }
        for (css, v) in selects {
            self.select(css, v).await;
        }
        let submit = format!("//details[@open]//button[normalize-space()='确认{action}']");
        self.click_and_wait(Locator::XPath(&submit), confirm).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_work_order_journey_in_a_real_browser() {
    if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but chromium/chromedriver are not installed (apt-get install chromium chromium-driver)");
        }
        eprintln!("skipping the browser test: {CHROMIUM} or {CHROMEDRIVER} is not installed");
        return;
    }
    // The real server on a random port.
    let t = TestApp::on(TestDb::sqlite()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = t.app.clone();
    let server = tokio::spawn(async move { fazhi_web::serve_on(app, listener).await });

    // chromedriver, then Chromium with the flags this machine needs.
    let port = free_port();
    let _driver = Driver(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let profile = tempfile::tempdir().expect("profile dir");
    let caps = json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     format!("--user-data-dir={}", profile.path().display()), "--window-size=1280,900", "--lang=zh-CN"]
        }
    });
    let mut client = None;
    for _ in 0..50 {
        let mut b = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        b.capabilities(caps.as_object().cloned().expect("caps"));
        match b.connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let c = client.expect("connect to chromedriver");
    let mut b = Browser { c, base: format!("http://{addr}"), shots: out_dir(), n: 0 };

    // The clerk registers a work order.
    b.login("clerk").await;
    assert!(b.c.current_url().await.expect("url").path().ends_with("/workbench"));
    b.shot("workbench-clerk").await;
    b.goto("/cases/work_order/new").await;
    b.shot("new-form").await;
    // A bad 身份证号 first: the message appears next to the field and what was typed stays.
    b.fill("#new-title", "龙潭村村口路灯不亮").await;
    b.fill("#new-content", "龙潭村村口三盏路灯已坏两周，夜间出行不便。").await;
    b.select("#new-category", "help").await;
    b.select("#new-urgency", "normal").await;
    b.fill("#new-caller_name", "陈先生").await;
    b.fill("#new-caller_phone", "13812345678").await;
    b.fill("#new-caller_idcard", "440524188001010015").await;
    b.click_and_wait(Locator::Css("form.form button[type=submit]"), false).await;
    let page = b.text().await;
    assert!(page.contains("校验位不正确，请核对最后一位"), "{page}");
    b.shot("new-form-error").await;
    b.fill("#new-caller_idcard", "440524188001010014").await;
    b.click_and_wait(Locator::Css("form.form button[type=submit]"), false).await;
    let page = b.text().await;
    assert!(page.contains("登记成功"), "{page}");
    let dd = b.c.find_all(Locator::Css(".receipt dd.big")).await.expect("receipt");
    let receipt = dd[0].text().await.expect("receipt no");
    let code = dd[1].text().await.expect("query code");
    assert_eq!(receipt, "AT-GD-2024-000001");
    b.shot("registered").await;

    // …and dispatches it to 龙潭村.
    b.click_and_wait(Locator::Css(".receipt ~ p a.primary"), false).await;
    let case_url = b.c.current_url().await.expect("url").path().to_string();
    let longtan = t.town.unit("longtan").to_string();
    b.act("派单", &[], &[("#dispatch-unit", &longtan)], false).await;
    let page = b.text().await;
    b.shot("dispatched").await;
    assert!(page.contains("已派单。当前状态：待签收；承办单位：龙潭村"), "{page}");
    b.logout().await;

    // The village handler signs and replies.
    b.login("handler_longtan").await;
    b.shot("workbench-handler").await;
    b.goto(&case_url).await;
    b.act("签收", &[], &[], false).await;
    assert!(b.text().await.contains("当前状态：办理中"));
    // The due date explains itself on click.
    b.click("details.clock summary").await;
    assert!(b.text().await.contains("计入调休上班日"));
    b.shot("handling").await;
    b.act(
        "办结",
        &[("#reply-reply", "已联系供电所更换灯泡，路灯恢复照明。")],
        &[("#reply-reply_method", "phone")],
        true,
    )
    .await;
    assert!(b.text().await.contains("当前状态：已办结待回访"));
    b.shot("replied").await;
    b.logout().await;

    // The clerk records the callback.
    b.login("clerk").await;
    b.goto(&case_url).await;
    b.act("回访", &[], &[("#callback-result", "satisfied")], false).await;
    assert!(b.text().await.contains("当前状态：已回访"));
    b.shot("visited").await;
    b.logout().await;

    // The caller looks it up (no login) with the receipt number and query code.
    b.goto("/track").await;
    b.fill("#receipt_no", &receipt).await;
    b.fill("#query_code", &code).await;
    b.click_and_wait(Locator::Css("form.form button[type=submit]"), false).await;
    let page = b.text().await;
    assert!(page.contains("已办结") && page.contains("已联系供电所更换灯泡"), "{page}");
    assert!(!page.contains("陈先生") && !page.contains("龙潭村"), "no parties, no units on the public page");
    b.shot("public-result").await;

    // On a phone.
    b.c.set_window_size(360, 740).await.expect("resize");
    b.login("handler_longtan").await;
    b.shot("workbench-phone").await;
    b.goto(&case_url).await;
    b.shot("case-phone").await;

    b.c.close().await.ok();
    server.abort();
}
