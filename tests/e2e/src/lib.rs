//! Drives the real Fieldbook app: starts `tauri-driver` (which starts
//! WebKitWebDriver, which starts the app) on free ports, with the app's
//! database in a scratch folder, and offers small helpers over fantoccini.
//! Run under a display (`xvfb-run`); `.ci/run` does.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The debug build of the app, unless `FIELDBOOK_APP` names another.
pub fn app_binary() -> PathBuf {
    std::env::var_os("FIELDBOOK_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/fieldbook-app")
        })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A running tauri-driver; stopped with SIGTERM on drop (SIGKILL would orphan
/// WebKitWebDriver and keep the test's output open).
pub struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    pub fn start(db: &Path) -> Driver {
        let app = app_binary();
        assert!(
            app.is_file(),
            "{} is missing: build the app first (npm --prefix ui run build && cargo build -p fieldbook-app)",
            app.display()
        );
        let port = free_port();
        let child =
            Command::new(std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into()))
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-port",
                    &free_port().to_string(),
                ])
                .env("FIELDBOOK_DB", db)
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect(
                    "tauri-driver on PATH (cargo install tauri-driver --version '=2.1.0' --locked)",
                );
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tauri-driver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver { child, port }
    }

    /// Starts the app and returns a session once its first screen is ready.
    pub async fn launch(&self) -> Result<App, Box<dyn std::error::Error>> {
        let started = Instant::now();
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("wry"));
        caps.insert(
            "tauri:options".into(),
            json!({"application": app_binary().canonicalize()?}),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await?;
        let app = App { client };
        app.wait_for("body[data-ready='1']").await?;
        eprintln!(
            "launch to first study list: {} ms",
            started.elapsed().as_millis()
        );
        Ok(app)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // std can only send SIGKILL; the kill command sends SIGTERM.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct App {
    pub client: Client,
}

impl App {
    pub async fn wait_for(&self, css: &str) -> Result<Element, fantoccini::error::CmdError> {
        self.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(css))
            .await
    }

    pub async fn click(&self, css: &str) -> TestResult {
        self.wait_for(css).await?.click().await?;
        Ok(())
    }

    /// Replaces the value of a form field and commits it like a person: Tab away.
    pub async fn fill(&self, form: &str, field: &str, value: &str) -> TestResult {
        let css = format!("{form} [data-field='{field}']");
        let el = self.wait_for(&css).await?;
        let tag = el.tag_name().await?;
        if tag == "select" {
            let option = format!("{css} option[value='{value}']");
            self.wait_for(&option).await?.click().await?;
        } else {
            el.clear().await?;
            el.send_keys(value).await?;
        }
        Ok(())
    }

    pub async fn text(&self, css: &str) -> Result<String, fantoccini::error::CmdError> {
        self.wait_for(css).await?.text().await
    }

    pub async fn count(&self, css: &str) -> Result<usize, fantoccini::error::CmdError> {
        Ok(self.client.find_all(Locator::Css(css)).await?.len())
    }

    /// Waits until `css` matches at least `n` elements.
    pub async fn wait_count(
        &self,
        css: &str,
        n: usize,
    ) -> Result<usize, Box<dyn std::error::Error>> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let found = self.count(css).await?;
            if found >= n {
                return Ok(found);
            }
            if Instant::now() > deadline {
                return Err(format!("expected {n} of {css}, found {found}").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the text of `css` satisfies `pred`.
    pub async fn wait_text(
        &self,
        css: &str,
        pred: impl Fn(&str) -> bool,
    ) -> Result<String, Box<dyn std::error::Error>> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let text = self.text(css).await.unwrap_or_default();
            if pred(&text) {
                return Ok(text);
            }
            if Instant::now() > deadline {
                return Err(format!("text of {css} is still {text:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn attr(
        &self,
        css: &str,
        name: &str,
    ) -> Result<Option<String>, fantoccini::error::CmdError> {
        self.wait_for(css).await?.attr(name).await
    }

    pub async fn eval(&self, script: &str) -> Result<Value, fantoccini::error::CmdError> {
        self.client.execute(script, vec![]).await
    }

    pub async fn close(self) -> TestResult {
        self.client.close().await?;
        Ok(())
    }
}
