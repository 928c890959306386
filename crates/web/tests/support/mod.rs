//! The browser harness shared by the browser tests: headless Chromium driven through chromedriver
//! against the real server on a random local port, screenshots into
//! `target/test-output/browser/<test>/`, and a few helpers that act as a user would.
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (`.ci/run` installs them). Without
//! them [`Browser::start`] says so and returns `None` — except under `CI=true`, where that is a
//! failure.
#![allow(dead_code)]

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use fazhi_testkit::PASSWORD;
use serde_json::json;

pub const DESKTOP: (u32, u32) = (1280, 900);
/// The phone the issue names: 390 px wide.
pub const PHONE: (u32, u32) = (390, 844);

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

pub fn out_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-output/browser").join(test);
    std::fs::create_dir_all(&dir).expect("output folder");
    dir
}

pub struct Browser {
    pub c: Client,
    pub base: String,
    pub shots: PathBuf,
    pub n: u32,
    _driver: Driver,
    _server: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn shot(&mut self, name: &str) {
        self.n += 1;
        let png = self.c.screenshot().await.expect("screenshot");
        std::fs::write(self.shots.join(format!("{:02}-{name}.png", self.n)), png).expect("write screenshot");
    }

    pub async fn goto(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.expect("navigate");
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.c.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("no {css}"));
        e.clear().await.ok();
        e.send_keys(text).await.expect("type");
    }

    pub async fn select(&self, css: &str, value: &str) {
        let e = self.c.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("no {css}"));
        e.select_by_value(value).await.unwrap_or_else(|_| panic!("no option {value} in {css}"));
    }

    pub async fn click(&self, css: &str) {
        self.c.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("no {css}")).click().await.expect("click");
    }

    /// Unfolds the page's search form as a user would (on a phone it starts folded), so that its
    /// fields and 查询 can be used.
    pub async fn unfold_search(&self) {
        for d in self.c.find_all(Locator::Css("details.search-box")).await.expect("search forms") {
            if d.attr("open").await.expect("open attribute").is_none() {
                d.find(Locator::Css("summary")).await.expect("summary").click().await.expect("unfold");
            }
        }
    }

    /// Clicks something that loads a new page, and waits until the old page is gone.
    pub async fn click_and_wait(&self, locator: Locator<'_>, confirm: bool) {
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

    pub async fn text(&self) -> String {
        self.c.find(Locator::Css("body")).await.expect("body").text().await.expect("text")
    }

    pub async fn login(&self, user: &str) {
        self.goto("/login").await;
        self.fill("#username", user).await;
        self.fill("#password", PASSWORD).await;
        self.click_and_wait(Locator::Css("button[type=submit]"), false).await;
    }

    pub async fn logout(&self) {
        self.click_and_wait(Locator::Css("header form button"), false).await;
    }

    /// Opens an action's form on the case page and submits it, accepting its confirmation.
    pub async fn act(&self, action: &str, fill: &[(&str, &str)], selects: &[(&str, &str)], confirm: bool) {
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
        // The open form's own submit button, however the kind words it (确认派单, 保存办理记录).
        self.click_and_wait(Locator::Css("details[open] form button[type=submit]"), confirm).await;
    }
}

impl Browser {
    /// Serves `app` on a random port and opens headless Chromium on it at `size`; `None` (after
    /// printing why) when Chromium is not installed and this is not CI. Screenshots go to
    /// `target/test-output/browser/<test>/`.
    pub async fn start(app: fazhi_service::App, test: &str, size: (u32, u32)) -> Option<Browser> {
        if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists() {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "CI=true but chromium/chromedriver are not installed (apt-get install chromium chromium-driver)"
                );
            }
            eprintln!("skipping the browser test: {CHROMIUM} or {CHROMEDRIVER} is not installed");
            return None;
        }
        // The real server on a random port.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            let _ = fazhi_web::serve_on(app, listener).await;
        });

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
        let mut options = json!({
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     format!("--user-data-dir={}", profile.path().display()), format!("--window-size={},{}", size.0, size.1), "--lang=zh-CN"]
        });
        if size.0 < 600 {
            // A phone: the viewport meta tag, touch and a phone's pixel ratio apply, as on a real one.
            options["mobileEmulation"] = json!({
                "deviceMetrics": { "width": size.0, "height": size.1, "pixelRatio": 3.0, "touch": true, "mobile": true }
            });
        }
        let caps = json!({ "goog:chromeOptions": options });
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
        Some(Browser {
            c,
            base: format!("http://{addr}"),
            shots: out_dir(test),
            n: 0,
            _driver,
            _server: server,
            _profile: profile,
        })
    }

    /// Closes the browser (the server and chromedriver stop when this is dropped).
    pub async fn close(self) {
        self.c.clone().close().await.ok();
        self._server.abort();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self._server.abort();
    }
}
