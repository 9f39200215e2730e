//! The team hub: a blind store-and-forward replica on axum and tokio. It
//! keeps the `.fsb` bundles laptops push, exactly as they are (encrypted and
//! signed: it never holds the project key), checks each is signed by an
//! active device of the team's roster, and serves every laptop the bundles
//! it lacks by its version vector. The API is `docs/hub-api.md`, its types
//! `fieldbook-hub-wire`.
//!
//! Layout: `store` (the storage trait, SQLite and PostgreSQL), `secrets`
//! (codes, tokens, challenges), `member` (who is asking), `enrol`, `bundles`
//! (push, vv, pull), `blobs` (photos, resumable), `refusal`, `metrics`.

mod blobs;
mod bundles;
mod enrol;
#[doc(hidden)]
pub mod fixtures;
mod member;
mod metrics;
mod refusal;
mod secrets;
pub mod store;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use fieldbook_bundle::roster::{Trust, TrustMemo};
use fieldbook_hub_wire::{Health, RefusalCode};

use crate::metrics::Metrics;
use crate::store::{CodeKind, CodeRow, HubStore};

/// The hub's caps.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body (a bundle part is at most 20 MiB, more only
    /// when it carries one photo larger than that).
    pub max_body_bytes: usize,
    /// Pushes a device may make per minute (burst as large).
    pub pushes_per_minute: u32,
    /// Most ops a bundle's header may declare.
    pub max_ops: u64,
    /// Largest attachment a bundle's header may declare.
    pub max_blob_bytes: u64,
    /// Most bytes one pull answer carries (one bundle is always sent whole).
    pub max_pull_bytes: u64,
    /// How long a device code stays valid.
    pub device_code_seconds: i64,
}

impl Default for Limits {
    /// 64 MiB bodies, 120 pushes a minute, the laptops' 500,000 ops and
    /// 50 MiB per photo, 32 MiB per pull answer, device codes for 7 days.
    fn default() -> Limits {
        let laptop = fieldbook_bundle::Limits::default();
        Limits {
            max_body_bytes: 64 << 20,
            pushes_per_minute: 120,
            max_ops: laptop.max_ops,
            max_blob_bytes: laptop.max_blob_bytes,
            max_pull_bytes: 32 << 20,
            device_code_seconds: 7 * 24 * 3600,
        }
    }
}

/// The admin code lives as long as the hub process that printed it.
const ADMIN_CODE_SECONDS: i64 = 365 * 24 * 3600;
/// Team decisions kept: each team's current roster, and the roster plus a
/// pushed bundle's entries, for the teams active at once.
const TEAMS_REMEMBERED: usize = 256;
/// A challenge must be answered within this many seconds.
const CHALLENGE_SECONDS: i64 = 300;

pub struct Hub {
    store: Arc<dyn HubStore>,
    limits: Limits,
    metrics: Metrics,
    /// Teams decided, by a hash of the roster and team they came from.
    trust: TrustMemo,
    /// Each team's trust from its stored roster, by the number of stored
    /// entries (a set that only grows, so the number names it).
    stored: Mutex<HashMap<String, (usize, Arc<Trust>)>>,
    argon2: secrets::Argon2Worker,
}

impl Hub {
    pub fn new(store: Arc<dyn HubStore>, limits: Limits) -> Arc<Hub> {
        Arc::new(Hub {
            store,
            limits,
            metrics: Metrics::default(),
            trust: TrustMemo::new(TEAMS_REMEMBERED),
            stored: Mutex::new(HashMap::new()),
            argon2: secrets::Argon2Worker::start(),
        })
    }

    /// A fresh one-time admin code (it registers one team), stored hashed.
    pub async fn new_admin_code(&self) -> Result<String, store::StoreError> {
        let code = secrets::new_code();
        let hash = self.argon2.hash(code.secret).await;
        self.store
            .add_code(
                &code.id,
                CodeRow {
                    kind: CodeKind::Admin,
                    hash,
                    project_id: None,
                    expires_at: now() + ADMIN_CODE_SECONDS,
                    spent: false,
                },
            )
            .await?;
        Ok(code.code)
    }

    /// The HTTP routes (`docs/hub-api.md`).
    pub fn router(self: &Arc<Hub>) -> Router {
        let teams = "/v1/teams/{project}";
        Router::new()
            .route("/v1/health", get(health))
            .route("/metrics", get(metrics))
            .route("/v1/challenges", post(enrol::challenge))
            .route("/v1/enrol", post(enrol::enrol))
            .route(&format!("{teams}/invites"), post(enrol::invite))
            .route(
                &format!("{teams}/tokens/{{actor}}"),
                delete(enrol::revoke_tokens),
            )
            .route(&format!("{teams}/roster"), post(bundles::push_roster))
            .route(&format!("{teams}/bundles"), post(bundles::push))
            .route(&format!("{teams}/vv"), get(bundles::vv))
            .route(&format!("{teams}/pull"), post(bundles::pull))
            .route(&format!("{teams}/blobs/query"), post(blobs::query))
            .route(
                &format!("{teams}/blobs/{{sha256}}"),
                get(blobs::download)
                    .head(blobs::status)
                    .patch(blobs::upload),
            )
            .fallback(not_found)
            .layer(axum::middleware::map_response_with_state(
                Arc::clone(self),
                count_refusals,
            ))
            .layer(DefaultBodyLimit::max(self.limits.max_body_bytes))
            .with_state(Arc::clone(self))
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn health(State(hub): State<Arc<Hub>>) -> refusal::Answer<Json<Health>> {
    hub.store.totals().await?;
    Ok(Json(Health {
        status: "ok".into(),
        store: hub.store.kind().into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

async fn metrics(State(hub): State<Arc<Hub>>) -> refusal::Answer<String> {
    Ok(hub.metrics.render(hub.store.totals().await?))
}

async fn not_found() -> refusal::Refused {
    refusal::refuse(
        RefusalCode::BadRequest,
        "no such path in the hub's API v1 (see docs/hub-api.md)",
    )
}

async fn count_refusals(
    State(hub): State<Arc<Hub>>,
    response: axum::response::Response,
) -> axum::response::Response {
    if let Some(code) = response.extensions().get::<RefusalCode>() {
        hub.metrics.refused(*code);
    }
    response
}

/// Serves `hub` on `listener` until `shutdown` resolves.
pub async fn serve(
    hub: Arc<Hub>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        hub.router()
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

pub use axum_server::tls_rustls::RustlsConfig as TlsConfig;

/// The TLS (rustls) setup from a PEM certificate chain and private key.
pub async fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> std::io::Result<TlsConfig> {
    // One process-wide crypto provider; a second install is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    TlsConfig::from_pem_file(cert, key).await
}

/// [`serve`] over TLS.
pub async fn serve_tls(
    hub: Arc<Hub>,
    listener: std::net::TcpListener,
    config: TlsConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let handle = axum_server::Handle::new();
    let stopping = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopping.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
    });
    listener.set_nonblocking(true)?;
    axum_server::from_tcp_rustls(listener, config)?
        .handle(handle)
        .serve(
            hub.router()
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
}
