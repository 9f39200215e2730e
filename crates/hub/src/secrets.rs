//! The hub's secrets and how it keeps them: one-time codes (an id to find the
//! row, a secret kept as an Argon2id hash), bearer tokens (kept as SHA-256:
//! they are 256 random bits, so a slow hash adds nothing) and challenges.

use std::sync::{mpsc, Mutex};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

const CODE_PREFIX: &str = "fbh1";

fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).expect("the OS random source");
    out
}

/// A fresh one-time code, `fbh1-<id>-<secret>`, with its id and secret.
pub struct NewCode {
    pub code: String,
    pub id: String,
    pub secret: String,
}

pub fn new_code() -> NewCode {
    let id = hex::encode(random::<6>());
    let secret = hex::encode(random::<16>());
    NewCode {
        code: format!("{CODE_PREFIX}-{id}-{secret}"),
        id,
        secret,
    }
}

/// Splits a code as typed or pasted into its id and secret.
pub fn parse_code(code: &str) -> Option<(String, String)> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let mut parts = code.split('-');
    let (prefix, id, secret) = (parts.next()?, parts.next()?, parts.next()?);
    let hexdigits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (prefix == CODE_PREFIX && parts.next().is_none() && hexdigits(id, 12) && hexdigits(secret, 32))
        .then(|| (id.to_ascii_lowercase(), secret.to_ascii_lowercase()))
}

/// Argon2id with the crate's defaults (19 MiB, 2 passes), as a PHC string.
fn hash_secret(secret: &str) -> String {
    let salt = SaltString::encode_b64(&random::<16>()).expect("16 bytes make a salt");
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .expect("Argon2id with default parameters")
        .to_string()
}

/// Whether `secret` is the one `hash` was made from (slow by design).
fn secret_matches(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &h)
            .is_ok()
    })
}

enum Job {
    Hash(String, oneshot::Sender<String>),
    Verify(String, String, oneshot::Sender<bool>),
}

/// Argon2id runs on one thread of its own: each hash takes 19 MiB, which the
/// allocator keeps for the thread that used it (on many threads, hundreds
/// of MiB), and on the async threads it would stall other requests.
pub struct Argon2Worker {
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl Argon2Worker {
    pub fn start() -> Argon2Worker {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("argon2".into())
            .spawn(move || {
                for job in queue {
                    match job {
                        Job::Hash(secret, done) => {
                            let _ = done.send(hash_secret(&secret));
                        }
                        Job::Verify(secret, hash, done) => {
                            let _ = done.send(secret_matches(&secret, &hash));
                        }
                    }
                }
            })
            .expect("a thread for Argon2id");
        Argon2Worker {
            jobs: Mutex::new(jobs),
        }
    }

    fn send(&self, job: Job) {
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        jobs.send(job)
            .expect("the Argon2id thread runs as long as the hub");
    }

    /// The Argon2id hash (PHC string) to store for `secret`.
    pub async fn hash(&self, secret: String) -> String {
        let (done, answer) = oneshot::channel();
        self.send(Job::Hash(secret, done));
        answer.await.expect("the Argon2id thread answers")
    }

    /// Whether `secret` is the one `hash` was made from.
    pub async fn verify(&self, secret: String, hash: String) -> bool {
        let (done, answer) = oneshot::channel();
        self.send(Job::Verify(secret, hash, done));
        answer.await.unwrap_or(false)
    }
}

/// A fresh bearer token.
pub fn new_token() -> String {
    hex::encode(random::<32>())
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh challenge: 32 random bytes in hex.
pub fn new_challenge() -> String {
    hex::encode(random::<32>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_parses_back_and_its_secret_matches_only_its_hash() {
        let c = new_code();
        let hash = hash_secret(&c.secret);
        let (id, secret) = parse_code(&format!(
            "  {}\n",
            c.code.to_uppercase().replace("FBH1", "fbh1")
        ))
        .unwrap();
        assert_eq!(id, c.id);
        assert!(secret_matches(&secret, &hash));
        assert!(!secret_matches(&secret, &hash_secret(&new_code().secret)));
        assert!(!hash.contains(&secret), "the secret is not stored");
    }

    #[test]
    fn malformed_codes_do_not_parse() {
        for bad in [
            "",
            "fbh1",
            "fbh1-abc-def",
            "xx-aaaaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            "fbh1-aaaaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-c",
        ] {
            assert!(parse_code(bad).is_none(), "{bad}");
        }
    }
}
