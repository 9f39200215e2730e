//! The hub's HTTP API from a laptop: one call per endpoint, refusals as
//! their stable codes, an unreachable hub told apart from a refusing one.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::time::Duration;

use fieldbook_bundle::roster::RosterEntry;
use fieldbook_hub_wire::{
    BlobQuery, BlobState, BlobStates, Challenge, EnrolAnswer, EnrolRequest, Frame, FrameReader,
    Health, HubVv, Invite, PullEnd, PullRequest, PushAnswer, Refusal, Revoked, RosterAnswer,
    RosterPush, BUNDLES_HEADER, BUNDLE_CONTENT_TYPE, CIPHERTEXT_SHA256, UPLOAD_LENGTH,
    UPLOAD_OFFSET,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use ureq::http::Response;
use ureq::Body;

use crate::HubError;

/// Small JSON answers are read up to this size.
const MAX_JSON_BYTES: u64 = 1 << 20;

pub struct HubClient {
    base: String,
    agent: ureq::Agent,
    token: Option<String>,
}

impl HubClient {
    /// A client of the hub at `url` (`http://host:port` or `https://…`).
    /// `ca_pem`: the certificates (PEM) a team's own hub certificate must
    /// chain to, instead of the public authorities.
    pub fn new(
        url: &str,
        token: Option<String>,
        ca_pem: Option<&str>,
    ) -> Result<HubClient, HubError> {
        let base = url.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) || base.len() < 10 {
            return Err(HubError::BadUrl(url.to_string()));
        }
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(pem) = ca_pem {
            let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(pem.as_bytes())
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(HubError::BadCa);
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let agent = ureq::Agent::config_builder()
            .tls_config(tls.build())
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            // A hub that stops answering mid-transfer is given up on, and
            // the next sync resumes from what arrived.
            .timeout_recv_body(Some(Duration::from_secs(120)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .build()
            .into();
        Ok(HubClient { base, agent, token })
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    fn url_of(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.token.as_deref().unwrap_or_default())
    }

    /// The answer's body if it is a success, else the refusal it carries.
    fn checked(response: Result<Response<Body>, ureq::Error>) -> Result<Response<Body>, HubError> {
        let mut response = response.map_err(|e| HubError::Unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let refusal = response
            .body_mut()
            .with_config()
            .limit(MAX_JSON_BYTES)
            .read_json::<Refusal>();
        Err(match refusal {
            Ok(r) => HubError::Refused(r),
            Err(_) if status >= 500 => {
                HubError::Unreachable(format!("the hub answered HTTP {status}"))
            }
            Err(_) => HubError::Protocol(format!("HTTP {status} without a refusal body")),
        })
    }

    fn json<R: DeserializeOwned>(
        response: Result<Response<Body>, ureq::Error>,
    ) -> Result<R, HubError> {
        Self::checked(response)?
            .body_mut()
            .with_config()
            .limit(MAX_JSON_BYTES)
            .read_json()
            .map_err(|e| HubError::Protocol(format!("the hub's answer: {e}")))
    }

    fn post<T: Serialize, R: DeserializeOwned>(&self, path: &str, body: &T) -> Result<R, HubError> {
        Self::json(
            self.agent
                .post(self.url_of(path))
                .header("Authorization", self.bearer())
                .send_json(body),
        )
    }

    fn get<R: DeserializeOwned>(&self, path: &str) -> Result<R, HubError> {
        Self::json(
            self.agent
                .get(self.url_of(path))
                .header("Authorization", self.bearer())
                .call(),
        )
    }

    pub fn health(&self) -> Result<Health, HubError> {
        self.get("/v1/health")
    }

    /// `GET /metrics`: the hub's Prometheus text.
    pub fn metrics(&self) -> Result<String, HubError> {
        Self::checked(self.agent.get(self.url_of("/metrics")).call())?
            .body_mut()
            .with_config()
            .limit(MAX_JSON_BYTES)
            .read_to_string()
            .map_err(|e| HubError::Protocol(format!("the hub's metrics: {e}")))
    }

    /// One value of [`HubClient::metrics`], by its name with its labels
    /// (`fieldbook_hub_refusals_total{code="bad_code"}`).
    pub fn metric(&self, name: &str) -> Result<u64, HubError> {
        let text = self.metrics()?;
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .ok_or_else(|| HubError::Protocol(format!("no metric {name}")))
    }

    pub fn challenge(&self) -> Result<String, HubError> {
        Ok(self.post::<_, Challenge>("/v1/challenges", &())?.challenge)
    }

    pub fn enrol(&self, request: &EnrolRequest) -> Result<EnrolAnswer, HubError> {
        self.post("/v1/enrol", request)
    }

    pub fn invite(&self, project: &str) -> Result<Invite, HubError> {
        self.post(&format!("/v1/teams/{project}/invites"), &())
    }

    pub fn push_roster(
        &self,
        project: &str,
        roster: &[RosterEntry],
    ) -> Result<RosterAnswer, HubError> {
        self.post(
            &format!("/v1/teams/{project}/roster"),
            &RosterPush {
                roster: roster.to_vec(),
            },
        )
    }

    /// Revokes `actor`'s tokens (this device's own, or any, by the team's first device).
    pub fn revoke(&self, project: &str, actor: &str) -> Result<Revoked, HubError> {
        Self::json(
            self.agent
                .delete(self.url_of(&format!("/v1/teams/{project}/tokens/{actor}")))
                .header("Authorization", self.bearer())
                .call(),
        )
    }

    pub fn vv(&self, project: &str) -> Result<BTreeMap<String, u64>, HubError> {
        Ok(self.get::<HubVv>(&format!("/v1/teams/{project}/vv"))?.vv)
    }

    pub fn push(&self, project: &str, bundle: &[u8]) -> Result<PushAnswer, HubError> {
        Self::json(
            self.agent
                .post(self.url_of(&format!("/v1/teams/{project}/bundles")))
                .header("Authorization", self.bearer())
                .content_type(BUNDLE_CONTENT_TYPE)
                .send(bundle),
        )
    }

    /// Pulls what the hub holds beyond `have`, handing each bundle to
    /// `take` as it arrives whole, with the number the answer brings. `Ok(end)` when the answer ended properly;
    /// a cut answer is an `Unreachable` error after the bundles that arrived.
    pub fn pull(
        &self,
        project: &str,
        have: &BTreeMap<String, u64>,
        max_bytes: u64,
        take: &mut dyn FnMut(Vec<u8>, usize) -> Result<(), HubError>,
    ) -> Result<PullEnd, HubError> {
        let response = self
            .agent
            .post(self.url_of(&format!("/v1/teams/{project}/pull")))
            .header("Authorization", self.bearer())
            .send_json(&PullRequest {
                have: have.clone(),
                max_bytes,
            });
        let response = Self::checked(response)?;
        let total = response
            .headers()
            .get(BUNDLES_HEADER)
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .unwrap_or(0);
        let reader: Box<dyn Read> = Box::new(response.into_body().into_reader());
        let mut frames = FrameReader::new(reader);
        loop {
            match frames.next_frame() {
                Ok(Some(Frame::Bundle(bytes))) => take(bytes, total)?,
                Ok(Some(Frame::End(end))) => return Ok(end),
                Ok(None) => return Err(HubError::Protocol("no end frame".into())),
                Err(e) => return Err(HubError::Unreachable(format!("the pull was cut: {e}"))),
            }
        }
    }

    fn blob_path(project: &str, sha256: &str) -> String {
        format!("/v1/teams/{project}/blobs/{sha256}")
    }

    /// Which of these photos the hub holds, whole or in part.
    pub fn blob_states(&self, project: &str, sha256: &[String]) -> Result<BlobStates, HubError> {
        self.post(
            &format!("/v1/teams/{project}/blobs/query"),
            &BlobQuery {
                sha256: sha256.to_vec(),
            },
        )
    }

    /// Sends `bytes` at `offset` of the sealed photo `sealed_sha256` names
    /// (its whole being `length` bytes); the hub answers where it stands.
    pub fn upload_blob_chunk(
        &self,
        project: &str,
        sha256: &str,
        length: u64,
        sealed_sha256: &str,
        offset: u64,
        bytes: &[u8],
    ) -> Result<BlobState, HubError> {
        Self::json(
            self.agent
                .patch(self.url_of(&Self::blob_path(project, sha256)))
                .header("Authorization", self.bearer())
                .header(UPLOAD_OFFSET, offset.to_string())
                .header(UPLOAD_LENGTH, length.to_string())
                .header(CIPHERTEXT_SHA256, sealed_sha256)
                .content_type(BUNDLE_CONTENT_TYPE)
                .send(bytes),
        )
    }

    /// Writes the sealed photo from byte `from` on to `sink`; returns the
    /// bytes written. A cut answer is an `Unreachable` error after writing
    /// what arrived, so the next call resumes from there.
    pub fn download_blob(
        &self,
        project: &str,
        sha256: &str,
        from: u64,
        sink: &mut dyn Write,
    ) -> Result<u64, HubError> {
        let mut request = self
            .agent
            .get(self.url_of(&Self::blob_path(project, sha256)))
            .header("Authorization", self.bearer());
        if from > 0 {
            request = request.header("Range", format!("bytes={from}-"));
        }
        let response = Self::checked(request.call())?;
        let mut reader = response.into_body().into_reader();
        let mut buf = vec![0u8; 64 * 1024];
        let mut written = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => return Ok(written),
                Ok(n) => n,
                Err(e) => {
                    return Err(HubError::Unreachable(format!(
                        "the photo download was cut: {e}"
                    )))
                }
            };
            sink.write_all(&buf[..n])
                .map_err(|e| HubError::Store(e.into()))?;
            written += n as u64;
        }
    }
}
