//! `GET /metrics` in Prometheus' text format: what the store holds (shared by
//! every hub process on it) and what this process did.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use fieldbook_hub_wire::RefusalCode;

use crate::store::Totals;

pub struct Metrics {
    pub pushes: AtomicU64,
    pub duplicates: AtomicU64,
    pub pulls: AtomicU64,
    pub bundles_sent: AtomicU64,
    /// Sealed photo bytes received in upload chunks, and sent in downloads.
    pub blob_bytes_received: AtomicU64,
    pub blob_bytes_sent: AtomicU64,
    refusals: BTreeMap<&'static str, AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            pushes: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            pulls: AtomicU64::new(0),
            bundles_sent: AtomicU64::new(0),
            blob_bytes_received: AtomicU64::new(0),
            blob_bytes_sent: AtomicU64::new(0),
            refusals: RefusalCode::ALL
                .iter()
                .map(|c| (c.as_str(), AtomicU64::new(0)))
                .collect(),
        }
    }
}

impl Metrics {
    pub fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn refused(&self, code: RefusalCode) {
        if let Some(c) = self.refusals.get(code.as_str()) {
            Metrics::count(c);
        }
    }

    pub fn render(&self, totals: Totals) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        metric(
            "fieldbook_hub_teams",
            "gauge",
            "Teams registered on the hub.",
            totals.teams,
        );
        metric(
            "fieldbook_hub_bundles_stored",
            "gauge",
            "Bundle parts stored.",
            totals.bundles,
        );
        metric(
            "fieldbook_hub_bytes_stored",
            "gauge",
            "Bytes of the bundle parts stored.",
            totals.bytes,
        );
        metric(
            "fieldbook_hub_photos_stored",
            "gauge",
            "Photos stored whole (sealed under the team's key).",
            totals.blobs,
        );
        metric(
            "fieldbook_hub_photo_bytes_stored",
            "gauge",
            "Bytes of the photos stored whole.",
            totals.blob_bytes,
        );
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        metric(
            "fieldbook_hub_photo_bytes_received_total",
            "counter",
            "Photo bytes received in upload chunks by this process.",
            load(&self.blob_bytes_received),
        );
        metric(
            "fieldbook_hub_photo_bytes_sent_total",
            "counter",
            "Photo bytes sent in downloads by this process.",
            load(&self.blob_bytes_sent),
        );
        metric(
            "fieldbook_hub_pushes_total",
            "counter",
            "Bundle parts pushed and stored by this process.",
            load(&self.pushes),
        );
        metric(
            "fieldbook_hub_duplicate_pushes_total",
            "counter",
            "Pushes of a part already stored.",
            load(&self.duplicates),
        );
        metric(
            "fieldbook_hub_pulls_total",
            "counter",
            "Pulls answered by this process.",
            load(&self.pulls),
        );
        metric(
            "fieldbook_hub_bundles_sent_total",
            "counter",
            "Bundle parts sent in pulls.",
            load(&self.bundles_sent),
        );
        let name = "fieldbook_hub_refusals_total";
        let _ = writeln!(
            out,
            "# HELP {name} Requests refused, by code.\n# TYPE {name} counter"
        );
        for (code, c) in &self.refusals {
            let _ = writeln!(out, "{name}{{code=\"{code}\"}} {}", load(c));
        }
        out
    }
}
