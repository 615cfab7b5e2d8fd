//! The web UI in a real headless Chromium (Debian's, driven over WebDriver by chromedriver):
//! upload, a bad upload, run with live output, the live jobs table, executors. Screenshots go
//! to `$EDGE_SCREENSHOT_DIR` (default `target/screenshots`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::{Options, Platform, Process, guest_dir, wait_for};

/// Longest the UI gets to show something.
const UI_PATIENCE: Duration = Duration::from_secs(30);

struct Browser {
    client: Client,
    _driver: Process,
    profile: tempfile::TempDir,
}

impl Drop for Browser {
    /// Killing chromedriver leaves its Chromium running: end every process that uses this
    /// test's profile, then the scratch dirs Chromium leaves in /tmp.
    fn drop(&mut self) {
        let _ = std::process::Command::new("pkill").arg("-f").arg(self.profile.path()).status();
        if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with("org.chromium.Chromium.") {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
    }
}

impl Browser {
    async fn start(dir: &std::path::Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let driver =
            Process::spawn("chromedriver", std::path::Path::new("chromedriver"), &[format!("--port={port}")], &[], dir);
        wait_for(|| std::net::TcpStream::connect(("127.0.0.1", port)).ok()).expect("chromedriver listens");
        let profile = tempfile::tempdir().expect("profile");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1200,900",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain([format!("--user-data-dir={}", profile.path().display())])
        .collect::<Vec<_>>();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), json!({"binary": "/usr/bin/chromium", "args": args}));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a chromium session (apt-get install chromium chromium-driver; `just test` does)");
        Self { client, _driver: driver, profile }
    }

    /// Waits until the element's text contains `needle`, and returns the text.
    async fn wait_text(&self, css: &str, needle: &str) -> String {
        let started = Instant::now();
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = element.text().await
                && text.contains(needle)
            {
                return text;
            }
            if started.elapsed() > UI_PATIENCE {
                self.screenshot("failure").await;
                let body = self.client.source().await.unwrap_or_default();
                panic!("{css} never showed {needle:?}; page: {body}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The element, once the page shows it (the UI renders after its wasm has loaded).
    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        let started = Instant::now();
        loop {
            match self.client.find(Locator::Css(css)).await {
                Ok(element) => return element,
                Err(e) if started.elapsed() > UI_PATIENCE => panic!("{css} never appeared: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    async fn click_tab(&self, title: &str) {
        let tab = self.client.find(Locator::XPath(&format!("//nav/button[text()='{title}']"))).await.expect("tab");
        tab.click().await.expect("click tab");
    }

    async fn screenshot(&self, name: &str) {
        let dir = std::env::var("EDGE_SCREENSHOT_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots"));
        if std::fs::create_dir_all(&dir).is_ok()
            && let Ok(png) = self.client.screenshot().await
        {
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
    }
}

#[tokio::test]
async fn the_ui_uploads_runs_and_follows_jobs() {
    let platform = Platform::start_with(Options { concurrency: 2, admin_key: true, ..Options::default() }).await;
    platform.upload("sleep-print", "sleep-print").await;
    let browser = Browser::start(platform.dir.path()).await;
    let b = &browser.client;
    b.goto(&platform.base).await.expect("open the UI");

    // The host wants a key: a wrong one is refused in words, the right one logs in.
    browser.find("#api-key").await.send_keys("edge_wrong").await.expect("type");
    browser.find("#login-submit").await.click().await.expect("click");
    browser.wait_text("#login-error", "unauthorized").await;
    browser.screenshot("login").await;
    let key = platform.api_key.clone().expect("admin key");
    let field = browser.find("#api-key").await;
    field.clear().await.expect("clear");
    field.send_keys(&key).await.expect("type");
    browser.find("#login-submit").await.click().await.expect("click");
    browser.wait_text("#whoami", "default · admin").await;

    // Upload through the file input.
    browser.find("#component-name").await.send_keys("hello").await.expect("type");
    let hello = guest_dir().join("hello.wasm");
    let input = browser.find("#component-file").await;
    input.send_keys(hello.to_str().expect("path")).await.expect("choose file");
    browser.wait_text("#components", "hello").await;
    browser.wait_text("#upload-status", "hello v1 uploaded (command)").await;
    browser.screenshot("components").await;

    // A bad upload says what is wrong.
    let junk = platform.dir.path().join("junk.wasm");
    std::fs::write(&junk, "this is not wasm").expect("junk");
    let name = browser.find("#component-name").await;
    name.clear().await.expect("clear");
    name.send_keys("junk").await.expect("type");
    let input = browser.find("#component-file").await;
    input.send_keys(junk.to_str().expect("path")).await.expect("choose file");
    browser.wait_text("#upload-error", "invalid_component").await;

    // Run hello and see its output.
    browser.click_tab("Run").await;
    browser.wait_text("#run-component", "hello").await;
    let select = browser.find("#run-component").await;
    select.select_by_value("hello").await.expect("choose");
    browser.find("#run-args").await.send_keys("from the browser").await.expect("type");
    browser.find("#run-submit").await.click().await.expect("click");
    browser.wait_text("#run-console", "Hello, from the browser!").await;
    browser.wait_text("#run-outcome", "succeeded").await;
    browser.screenshot("run").await;

    // A slow job: its first lines show before it ends.
    let select = browser.find("#run-component").await;
    select.select_by_value("sleep-print").await.expect("choose");
    let args = browser.find("#run-args").await;
    args.clear().await.expect("clear");
    args.send_keys("8 300").await.expect("type");
    browser.find("#run-submit").await.click().await.expect("click");
    browser.wait_text("#run-console", "line 1").await;
    assert!(b.find(Locator::Css("#run-outcome")).await.is_err(), "the job had ended before its first line showed");
    browser.screenshot("run-live").await;
    browser.wait_text("#run-outcome", "succeeded").await;
    browser.wait_text("#run-console", "line 8").await;

    // The jobs table follows a job submitted over REST, without a reload.
    browser.click_tab("Jobs").await;
    browser.wait_text("#jobs", "succeeded").await;
    let webhook = json!({"url": "http://127.0.0.1:1/nobody-listens", "secret": "s"});
    let record = platform.run(json!({"component": "hello", "args": ["rest"], "webhook": webhook})).await;
    browser.wait_text("#jobs", &record.id).await;
    browser.screenshot("jobs").await;

    // Its page replays its events over SSE and shows its webhook deliveries.
    let link = b.find(Locator::LinkText(&record.id)).await.expect("job link");
    link.click().await.expect("open the job");
    browser.wait_text("#job-events", "done: succeeded").await;
    browser.wait_text("#job-output", "Hello, rest!").await;
    browser.wait_text("#job-webhook", "error sending request").await;
    browser.screenshot("job").await;

    browser.click_tab("Executors").await;
    browser.wait_text("#executors", "executor-1").await;
    browser.screenshot("executors").await;

    // Logging out forgets the key: a reload asks for it again.
    browser.find("#logout").await.click().await.expect("click");
    browser.find("#api-key").await;
    b.refresh().await.expect("reload");
    browser.find("#api-key").await;
    browser.client.clone().close().await.expect("end the browser session");
}
