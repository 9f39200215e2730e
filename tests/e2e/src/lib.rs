//! Drives the real Fieldbook app: starts `tauri-driver` (which starts
//! WebKitWebDriver, which starts the app) on free ports, with the app's
//! database in a scratch folder, and offers small helpers over fantoccini.
//! Run under a display (`xvfb-run`); `.ci/run` does.
//!
//! Nothing here waits for time: the driver is used once `GET /status` says it
//! is ready, and a session or driver that fails to come up is retried a
//! bounded number of times. Every helper's error names the step and selector.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

pub type Error = Box<dyn std::error::Error>;
pub type TestResult = Result<(), Error>;

/// How long one element or text may take to appear.
const PATIENCE: Duration = Duration::from_secs(15);
/// How long tauri-driver and WebKitWebDriver may take to become ready.
const DRIVER_READY: Duration = Duration::from_secs(30);
/// Attempts at starting the driver and at creating a session.
const ATTEMPTS: u32 = 3;

/// Adds the failing step to an error, so a red run says what it was doing.
fn during<E: std::fmt::Display>(step: impl FnOnce() -> String) -> impl FnOnce(E) -> Error {
    move |e| format!("{}: {e}", step()).into()
}

/// The debug build of the app, unless `FIELDBOOK_APP` names another.
pub fn app_binary() -> PathBuf {
    std::env::var_os("FIELDBOOK_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/fieldbook-app")
        })
}

/// A port free now; another process may take it before tauri-driver binds
/// it, which `Driver::start` detects and retries.
fn free_port() -> Result<u16, Error> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    Ok(port)
}

/// Whether the WebDriver server on `port` answers `GET /status` with
/// `ready: true`. tauri-driver forwards it to WebKitWebDriver, so this is
/// true only once both are up (tauri-driver alone accepts connections early).
async fn driver_ready(port: u16) -> bool {
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build_http::<Empty<Bytes>>();
    let Ok(uri) = format!("http://127.0.0.1:{port}/status").parse() else {
        return false;
    };
    let answer = async {
        let response = client.get(uri).await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        let body = response.into_body().collect().await.ok()?.to_bytes();
        serde_json::from_slice::<Value>(&body).ok()?["value"]["ready"].as_bool()
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(5), answer).await,
        Ok(Some(true))
    )
}

/// A running tauri-driver; stopped with SIGTERM on drop (SIGKILL would orphan
/// WebKitWebDriver and keep the test's output open).
pub struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    /// Starts tauri-driver for the app with its database at `db` and returns
    /// once it is ready for a session.
    pub async fn start(db: &Path) -> Result<Driver, Error> {
        Driver::start_with(db, &[]).await
    }

    /// [`Driver::start`] with more of the app's environment, such as
    /// `FIELDBOOK_SAVE_DIR` (save dialogs save there: WebDriver cannot click
    /// in a native dialog).
    pub async fn start_with(db: &Path, env: &[(&str, &Path)]) -> Result<Driver, Error> {
        let app = app_binary();
        if !app.is_file() {
            return Err(format!(
                "{} is missing: build the app first (npm --prefix ui run build && cargo build -p fieldbook-app)",
                app.display()
            )
            .into());
        }
        let mut failures = Vec::new();
        for _ in 0..ATTEMPTS {
            match Driver::try_start(db, env).await {
                Ok(driver) => return Ok(driver),
                Err(e) => failures.push(e.to_string()),
            }
        }
        Err(format!(
            "starting tauri-driver failed {ATTEMPTS} times: {}",
            failures.join("; ")
        )
        .into())
    }

    async fn try_start(db: &Path, env: &[(&str, &Path)]) -> Result<Driver, Error> {
        let port = free_port()?;
        let child =
            Command::new(std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into()))
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-port",
                    &free_port()?.to_string(),
                ])
                .env("FIELDBOOK_DB", db)
                .envs(env.iter().copied())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(during(|| {
                    "running tauri-driver (cargo install tauri-driver --version '=2.1.0' --locked)"
                        .to_string()
                }))?;
        // Dropped on failure, which stops whatever did start.
        let mut driver = Driver { child, port };
        let deadline = Instant::now() + DRIVER_READY;
        while !driver_ready(port).await {
            if let Some(status) = driver.child.try_wait()? {
                return Err(format!("tauri-driver on port {port} exited ({status})").into());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "tauri-driver on port {port} not ready after {DRIVER_READY:?}"
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(driver)
    }

    /// Starts the app and returns a session once its first screen is ready.
    pub async fn launch(&self) -> Result<App, Error> {
        let started = Instant::now();
        let client = self.session().await?;
        let app = App { client };
        app.wait_for("body[data-ready='1']")
            .await
            .map_err(during(|| "waiting for the app's first screen".to_string()))?;
        eprintln!(
            "launch to first study list: {} ms",
            started.elapsed().as_millis()
        );
        Ok(app)
    }

    /// A new WebDriver session, retried while the driver is not yet able to
    /// make one (the connection dropped, the app not started).
    async fn session(&self) -> Result<Client, Error> {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("wry"));
        caps.insert(
            "tauri:options".into(),
            json!({"application": app_binary().canonicalize()?}),
        );
        let mut failures = Vec::new();
        for _ in 0..ATTEMPTS {
            let connecting = ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{}", self.port))
                .await;
            match connecting {
                Ok(client) => return Ok(client),
                Err(e) => failures.push(e.to_string()),
            }
            let deadline = Instant::now() + DRIVER_READY;
            while !driver_ready(self.port).await && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Err(format!(
            "creating a WebDriver session failed {ATTEMPTS} times: {}",
            failures.join("; ")
        )
        .into())
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
    pub async fn wait_for(&self, css: &str) -> Result<Element, Error> {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .map_err(during(|| format!("waiting for {css}")))
    }

    pub async fn click(&self, css: &str) -> TestResult {
        self.wait_for(css)
            .await?
            .click()
            .await
            .map_err(during(|| format!("clicking {css}")))
    }

    /// Replaces the value of a form field like a person would: a select's
    /// option is clicked, a text field cleared and typed into.
    pub async fn fill(&self, form: &str, field: &str, value: &str) -> TestResult {
        let css = format!("{form} [data-field='{field}']");
        let el = self.wait_for(&css).await?;
        let typing = async {
            if el.tag_name().await? == "select" {
                let option = format!("{css} option[value='{value}']");
                self.wait_for(&option).await?.click().await?;
            } else {
                el.clear().await?;
                el.send_keys(value).await?;
            }
            Ok::<_, Error>(())
        };
        typing
            .await
            .map_err(during(|| format!("filling {css} with {value:?}")))
    }

    pub async fn text(&self, css: &str) -> Result<String, Error> {
        self.wait_for(css)
            .await?
            .text()
            .await
            .map_err(during(|| format!("reading the text of {css}")))
    }

    pub async fn count(&self, css: &str) -> Result<usize, Error> {
        let found = self
            .client
            .find_all(Locator::Css(css))
            .await
            .map_err(during(|| format!("counting {css}")))?;
        Ok(found.len())
    }

    /// Waits until `css` matches at least `n` elements.
    pub async fn wait_count(&self, css: &str, n: usize) -> Result<usize, Error> {
        let deadline = Instant::now() + PATIENCE;
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
    pub async fn wait_text(&self, css: &str, pred: impl Fn(&str) -> bool) -> Result<String, Error> {
        let deadline = Instant::now() + PATIENCE;
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

    /// Opens the study the search box finds for `query`, as a person
    /// would; returns its id once its form is shown.
    pub async fn open_study(&self, query: &str) -> Result<String, Error> {
        self.wait_for("#search-input")
            .await?
            .send_keys(query)
            .await
            .map_err(during(|| format!("typing {query:?} in the search box")))?;
        self.click("[data-testid=search-result][data-kind=study]")
            .await?;
        self.attr(
            "[data-testid=record-form][data-kind=study][data-id]",
            "data-id",
        )
        .await?
        .ok_or_else(|| "the study form has no id".into())
    }

    pub async fn attr(&self, css: &str, name: &str) -> Result<Option<String>, Error> {
        self.wait_for(css)
            .await?
            .attr(name)
            .await
            .map_err(during(|| format!("reading {name} of {css}")))
    }

    pub async fn eval(&self, script: &str) -> Result<Value, Error> {
        self.client
            .execute(script, vec![])
            .await
            .map_err(during(|| format!("running {script:?}")))
    }

    /// With `FIELDBOOK_SCREENSHOTS=DIR`, scrolls `css` into view and saves the
    /// window as `DIR/name.png`, to look at. Waits two animation frames
    /// first: a screenshot right after a change can show the previous frame.
    pub async fn screenshot(&self, css: &str, name: &str) -> TestResult {
        let Some(dir) = std::env::var_os("FIELDBOOK_SCREENSHOTS") else {
            return Ok(());
        };
        self.wait_for(css).await?;
        let script = "const done = arguments[arguments.length - 1];
            document.querySelector(arguments[0]).scrollIntoView({block: 'start', behavior: 'instant'});
            requestAnimationFrame(() => requestAnimationFrame(() => done(true)));";
        self.client
            .execute_async(script, vec![json!(css)])
            .await
            .map_err(during(|| format!("scrolling to {css}")))?;
        let png = self
            .client
            .screenshot()
            .await
            .map_err(during(|| format!("screenshot {name}")))?;
        std::fs::create_dir_all(&dir)?;
        std::fs::write(Path::new(&dir).join(format!("{name}.png")), png)?;
        Ok(())
    }

    pub async fn close(self) -> TestResult {
        self.client
            .close()
            .await
            .map_err(during(|| "closing the session".to_string()))
    }
}
