//! Writing, and splitting an export into parts that are each importable alone.

use std::collections::HashMap;

use fieldbook_core::op::Op;

use crate::columns;
use crate::crypto::{os_random, seal, sealed_len, sha256, unhex, NONCE_PREFIX, SEGMENT, TAG};
use crate::error::BundleError;
use crate::format::{self, PREAMBLE, SECTION_HEAD, SEC_BLOB, SEC_CHECKPOINTS, SEC_OPS, TRAILER};
use crate::keys::{DeviceKey, ProjectKey};
use crate::model::{
    checkpoint, Blob, BlobRef, Bundle, Checkpoint, Header, Part, Range, MAX_OPS_PER_FILE,
};
use crate::verify::{check_header, check_ops, find, sig_bytes};

/// zstd level for the ops section. On the op columns, level 6 is 5–7 %
/// smaller than level 3 for about 15 ms more per 100,000 ops (hashing them
/// takes 20× that); levels above it gain 3 % at most, level 19 for 40× the
/// time.
const ZSTD_LEVEL: i32 = 6;

/// Writes `bundle` as one `.fsb` file or, if that would be larger than
/// `max_part_bytes` or hold more than [`MAX_OPS_PER_FILE`] ops (what a reader
/// accepts by default), as several parts, each a complete bundle that can be
/// imported alone and in any order (see the crate documentation).
///
/// `write` sets `format_minor`, `sender_actor`, `sender_key_fingerprint`,
/// `project_key_id` and `part` in the header(s); everything else in
/// `bundle.header` is kept. It refuses ([`BundleError::Invalid`]) a bundle
/// that a reader would refuse: ops that do not match `header.ranges` or
/// their hashes, blobs that do not match `header.blobs`, or a range with no
/// checkpoint at its end. `sender` is the device key of `sender_actor`:
/// ranges of `sender_actor`'s own ops need no checkpoint in
/// `bundle.checkpoints`: one is signed here with `sender` (any given for them
/// are ignored). Relayed ranges need their author's. Extra checkpoints (inside a range) are allowed and are used as
/// points where a relayed range may be cut between parts; own ranges can be
/// cut anywhere.
pub fn write(
    bundle: &Bundle,
    sender_actor: &str,
    sender: &DeviceKey,
    project: &ProjectKey,
    max_part_bytes: usize,
) -> Result<Vec<Vec<u8>>, BundleError> {
    write_with(
        bundle,
        sender_actor,
        sender,
        project,
        max_part_bytes,
        MAX_OPS_PER_FILE as usize,
        &mut os_random,
    )
}

/// [`write`] with the most ops per part and the nonce source given
/// (deterministic files for tests and the fuzz corpus).
pub(crate) fn write_with(
    bundle: &Bundle,
    sender_actor: &str,
    sender: &DeviceKey,
    project: &ProjectKey,
    max_part_bytes: usize,
    max_ops: usize,
    rng: &mut dyn FnMut(&mut [u8]),
) -> Result<Vec<Vec<u8>>, BundleError> {
    if max_part_bytes == 0 {
        return Err(BundleError::Invalid("the maximum part size is zero".into()));
    }
    if sender_actor.is_empty() {
        return Err(BundleError::Invalid("no sender actor".into()));
    }
    let mut header = bundle.header.clone();
    header.format_minor = crate::FORMAT_MINOR;
    header.sender_actor = sender_actor.to_string();
    header.sender_key_fingerprint = sender.fingerprint();
    header.project_key_id = project.key_id();
    header.part = None;
    check_header(&header).map_err(invalid)?;
    let starts = check_ops(&header.ranges, &bundle.ops).map_err(invalid)?;
    check_blobs(&header.blobs, &bundle.blobs)?;
    let cps = usable_checkpoints(&header, &starts, bundle)?;

    let w = Writer::new(bundle, header, &starts, cps, sender_actor, sender, project);
    let all = w.units();
    let too_many = |units: &[Unit]| w.ops_of(units) > max_ops;
    // One file if it fits. (Skipped outright when the attachments alone are
    // too big, so a large photo export is not encoded twice over in memory.)
    let blob_bytes: usize = bundle.blobs.iter().map(|b| b.bytes.len()).sum();
    let compressed = if (blob_bytes <= max_part_bytes && !too_many(&all)) || all.len() <= 1 {
        let (whole, compressed) = w.encode(&all, None, rng);
        if whole.len() <= max_part_bytes || all.len() <= 1 {
            return Ok(vec![whole]);
        }
        compressed
    } else {
        w.compress(&w.gather(&all).0).len()
    };

    // Too big for one file: pack units into parts by estimate, then encode
    // each part with the widest part number and halve any that is still too
    // big, until each fits or is a single unit (one that alone is too big).
    let weight = w.weight(0, bundle.ops.len());
    let ratio = (compressed as f64 / weight.max(1) as f64) * (1.0 + TAG as f64 / SEGMENT as f64);
    let mut todo: Vec<Vec<Unit>> = w.pack(&all, max_part_bytes, max_ops, ratio);
    todo.reverse();
    let widest = Some(Part {
        index: u32::MAX,
        count: u32::MAX,
    });
    let mut groups = Vec::new();
    while let Some(g) = todo.pop() {
        let (bytes, _) = w.encode(&g, widest, rng);
        if (bytes.len() > max_part_bytes || too_many(&g)) && g.len() > 1 {
            let mut g = g;
            let second = g.split_off(g.len() / 2);
            todo.push(second);
            todo.push(g);
        } else {
            groups.push(g);
        }
    }
    if groups.len() == 1 {
        return Ok(vec![w.encode(&groups[0], None, rng).0]);
    }
    let count = groups.len() as u32;
    Ok(groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let part = Part {
                index: i as u32 + 1,
                count,
            };
            w.encode(g, Some(part), rng).0
        })
        .collect())
}

fn invalid(e: BundleError) -> BundleError {
    BundleError::Invalid(match e {
        BundleError::Schema(s) => s,
        BundleError::OpHash { actor, seq } => {
            format!("op {actor}/{seq} does not match its op_hash")
        }
        BundleError::ChainBroken { actor, seq } => {
            format!("op {actor}/{seq}'s prev_hash is not the op_hash of the op before it")
        }
        other => other.to_string(),
    })
}

fn check_blobs(refs: &[BlobRef], blobs: &[Blob]) -> Result<(), BundleError> {
    if refs.len() != blobs.len() {
        return Err(BundleError::Invalid(format!(
            "the header lists {} attachments but {} are given",
            refs.len(),
            blobs.len()
        )));
    }
    for (r, b) in refs.iter().zip(blobs) {
        if hex::encode(sha256(&b.bytes)) != b.sha256
            || r.sha256 != b.sha256
            || r.size != b.bytes.len() as u64
            || r.mime != b.mime
        {
            return Err(BundleError::Invalid(format!(
                "attachment {} does not match its bytes or its header entry",
                r.sha256
            )));
        }
    }
    Ok(())
}

/// The given checkpoints that name an op of the bundle, by `(actor, seq)`;
/// each range must end at one unless it is the sender's own.
fn usable_checkpoints(
    header: &Header,
    starts: &[usize],
    bundle: &Bundle,
) -> Result<HashMap<(String, u64), Checkpoint>, BundleError> {
    let mut out = HashMap::new();
    for cp in &bundle.checkpoints {
        if cp.actor == header.sender_actor {
            // The sender's own ranges are always vouched for afresh with the
            // key it signs this file with.
            continue;
        }
        let Some(op) = find(&header.ranges, starts, &bundle.ops, &cp.actor, cp.seq) else {
            continue;
        };
        if op.op_hash != cp.op_hash || sig_bytes(&cp.sig).is_none() {
            return Err(BundleError::Invalid(format!(
                "the checkpoint of {}/{} does not match that op (or its signature is not hex)",
                cp.actor, cp.seq
            )));
        }
        out.insert((cp.actor.clone(), cp.seq), cp.clone());
    }
    for r in &header.ranges {
        if r.actor != header.sender_actor && !out.contains_key(&(r.actor.clone(), r.to_seq)) {
            return Err(BundleError::Invalid(format!(
                "the ops of {} end at seq {} but no checkpoint signed by {} is given for it: relay an author's ops only up to its latest checkpoint",
                r.actor, r.to_seq, r.actor
            )));
        }
    }
    Ok(out)
}

/// The smallest things a part is made of: a run of one range's ops that
/// ends where a checkpoint can be given, or one attachment.
#[derive(Debug, Clone, Copy)]
enum Unit {
    /// Range index, and the op indices `start..end`.
    Ops(usize, usize, usize),
    Blob(usize),
}

struct Writer<'a> {
    bundle: &'a Bundle,
    header: Header,
    starts: &'a [usize],
    cps: HashMap<(String, u64), Checkpoint>,
    sender_actor: &'a str,
    sender: &'a DeviceKey,
    project: &'a ProjectKey,
    /// Running total of [`op_weight`]: ops `i..j` weigh `weights[j] - weights[i]`.
    weights: Vec<usize>,
}

impl<'a> Writer<'a> {
    fn new(
        bundle: &'a Bundle,
        header: Header,
        starts: &'a [usize],
        cps: HashMap<(String, u64), Checkpoint>,
        sender_actor: &'a str,
        sender: &'a DeviceKey,
        project: &'a ProjectKey,
    ) -> Writer<'a> {
        let mut weights = Vec::with_capacity(bundle.ops.len() + 1);
        weights.push(0);
        for op in &bundle.ops {
            weights.push(weights[weights.len() - 1] + op_weight(op));
        }
        Writer {
            bundle,
            header,
            starts,
            cps,
            sender_actor,
            sender,
            project,
            weights,
        }
    }

    /// The estimated size of ops `start..end` in the columns, before zstd.
    fn weight(&self, start: usize, end: usize) -> usize {
        self.weights[end] - self.weights[start]
    }

    /// Every unit, ops first (in range order), then attachments.
    fn units(&self) -> Vec<Unit> {
        let mut units = Vec::new();
        for (ri, r) in self.header.ranges.iter().enumerate() {
            let own = r.actor == self.sender_actor;
            let mut start = self.starts[ri];
            for seq in r.from_seq..=r.to_seq {
                if own || self.cps.contains_key(&(r.actor.clone(), seq)) {
                    let end = self.starts[ri] + (seq - r.from_seq) as usize + 1;
                    units.push(Unit::Ops(ri, start, end));
                    start = end;
                }
            }
        }
        units.extend((0..self.bundle.blobs.len()).map(Unit::Blob));
        units
    }

    /// The number of ops in `units`.
    fn ops_of(&self, units: &[Unit]) -> usize {
        units
            .iter()
            .map(|u| match u {
                Unit::Ops(_, start, end) => end - start,
                Unit::Blob(_) => 0,
            })
            .sum()
    }

    /// Splits units into groups of an estimated size of at most `max` and
    /// at most `max_ops` ops: ops in order (a new group when the next run
    /// does not fit), then each attachment into the first group it fits in.
    fn pack(&self, units: &[Unit], max: usize, max_ops: usize, ratio: f64) -> Vec<Vec<Unit>> {
        let mut probe = self.header.clone();
        probe.ranges.clear();
        probe.blobs.clear();
        probe.part = Some(Part {
            index: u32::MAX,
            count: u32::MAX,
        });
        let fixed =
            PREAMBLE + json_len(&probe) + TRAILER + 3 * SECTION_HEAD + NONCE_PREFIX + TAG + 64;
        // The header's range, its checkpoint, and maybe its starting hash.
        let range_cost = |ri: usize| {
            let r = &self.header.ranges[ri];
            json_len(r) + 1 + r.actor.len() + 64 + 128 + 40 + 32
        };
        let mut groups: Vec<(Vec<Unit>, usize)> = Vec::new();
        let mut group_ops = 0;
        let mut last_ops: Option<(usize, usize)> = None; // (range, end) of the current group's last run
        for &u in units {
            let Unit::Ops(ri, start, end) = u else {
                continue;
            };
            let mut cost = (self.weight(start, end) as f64 * ratio).ceil() as usize;
            let continues = last_ops == Some((ri, start));
            if !continues {
                cost += range_cost(ri);
            }
            match groups.last_mut() {
                Some((g, size)) if *size + cost <= max && group_ops + end - start <= max_ops => {
                    g.push(u);
                    *size += cost;
                    group_ops += end - start;
                }
                _ => {
                    group_ops = end - start;
                    let cost = if continues {
                        cost + range_cost(ri)
                    } else {
                        cost
                    };
                    groups.push((vec![u], fixed + cost));
                }
            }
            last_ops = Some((ri, end));
        }
        for &u in units {
            let Unit::Blob(bi) = u else { continue };
            let b = &self.bundle.blobs[bi];
            let cost = SECTION_HEAD
                + 32
                + NONCE_PREFIX
                + sealed_len(b.bytes.len())
                + json_len(&b.to_ref())
                + 1;
            match groups.iter_mut().find(|(_, size)| size + cost <= max) {
                Some((g, size)) => {
                    g.push(u);
                    *size += cost;
                }
                None => groups.push((vec![u], fixed + cost)),
            }
        }
        groups.into_iter().map(|(g, _)| g).collect()
    }

    /// The ops of `units` as runs `(range, start, end)`, one per range of
    /// the file (the runs of a range that follow on merged), and their
    /// attachments.
    fn gather(&self, units: &[Unit]) -> (Vec<(usize, usize, usize)>, Vec<&'a Blob>) {
        let mut runs: Vec<(usize, usize, usize)> = Vec::new();
        let mut blobs = Vec::new();
        for &u in units {
            match u {
                Unit::Ops(ri, start, end) => match runs.last_mut() {
                    Some((r, _, e)) if *r == ri && *e == start => *e = end,
                    _ => runs.push((ri, start, end)),
                },
                Unit::Blob(bi) => blobs.push(&self.bundle.blobs[bi]),
            }
        }
        (runs, blobs)
    }

    /// zstd of the columns of the ops of `runs`.
    fn compress(&self, runs: &[(usize, usize, usize)]) -> Vec<u8> {
        let ops: Vec<&[Op]> = runs
            .iter()
            .map(|&(_, start, end)| &self.bundle.ops[start..end])
            .collect();
        zstd::bulk::compress(&columns::encode(&ops), ZSTD_LEVEL).expect("in memory")
    }

    /// Encodes the units as one file; returns it and the compressed size of
    /// its ops.
    fn encode(
        &self,
        units: &[Unit],
        part: Option<Part>,
        rng: &mut dyn FnMut(&mut [u8]),
    ) -> (Vec<u8>, usize) {
        let mut header = self.header.clone();
        header.part = part;
        header.ranges.clear();
        header.blobs.clear();
        let (runs, blobs) = self.gather(units);
        let mut checkpoints = Vec::with_capacity(runs.len());
        for &(ri, start, end) in &runs {
            let actor = &self.header.ranges[ri].actor;
            let first = &self.bundle.ops[start];
            let last = &self.bundle.ops[end - 1];
            header.ranges.push(Range {
                actor: actor.clone(),
                from_seq: first.seq,
                to_seq: last.seq,
            });
            let cp = match self.cps.get(&(actor.clone(), last.seq)) {
                Some(cp) => cp.clone(),
                None => checkpoint(
                    self.sender,
                    &header.project_id,
                    actor,
                    last.seq,
                    &last.op_hash,
                ),
            };
            checkpoints.push(cp);
        }
        header.blobs = blobs.iter().map(|b| b.to_ref()).collect();

        let header_bytes = serde_json::to_vec(&header).expect("plain data serialises");
        let header_hash = sha256(&header_bytes);
        let compressed = self.compress(&runs);
        let key = self.project.bytes();
        let mut sections = Vec::with_capacity(2 + blobs.len());
        sections.push((
            SEC_OPS,
            sealed_section(
                key,
                &format::section_aad(&header_hash, SEC_OPS, None),
                &compressed,
                &[],
                rng,
            ),
        ));
        sections.push((
            SEC_CHECKPOINTS,
            serde_json::to_vec(&checkpoints).expect("plain data serialises"),
        ));
        for b in blobs {
            let sha: [u8; 32] = unhex(&b.sha256).expect("checked hex");
            let aad = format::section_aad(&header_hash, SEC_BLOB, Some(&sha));
            sections.push((SEC_BLOB, sealed_section(key, &aad, &b.bytes, &sha, rng)));
        }
        let file = format::assemble(header.format_minor, &header_bytes, &sections, self.sender);
        (file, compressed.len())
    }
}

/// Roughly what an op adds to the columns before compression: its strings
/// that are stored per op, its record id (stored once per record, but a
/// part's cost grows with its records), a few bytes per number. Only
/// relative sizes matter: parts are packed by weight × the ratio measured
/// on the whole bundle.
fn op_weight(op: &Op) -> usize {
    let text = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    let extra = if op.extra.is_empty() {
        0
    } else {
        json_len(&op.extra)
    };
    16 + op.record_id.len()
        + text(&op.value)
        + text(&op.cascade_of)
        + extra
        + 4 * (op.supersedes.len() + op.observed.len())
}

fn json_len<T: serde::Serialize>(v: &T) -> usize {
    serde_json::to_vec(v).map(|v| v.len()).unwrap_or(0)
}

/// `lead` | nonce prefix | STREAM ciphertext of `plain`.
fn sealed_section(
    key: &[u8; 32],
    aad: &[u8],
    plain: &[u8],
    lead: &[u8],
    rng: &mut dyn FnMut(&mut [u8]),
) -> Vec<u8> {
    let mut prefix = [0u8; NONCE_PREFIX];
    rng(&mut prefix);
    let sealed = seal(key, &prefix, aad, plain);
    let mut body = Vec::with_capacity(lead.len() + NONCE_PREFIX + sealed.len());
    body.extend_from_slice(lead);
    body.extend_from_slice(&prefix);
    body.extend_from_slice(&sealed);
    body
}
