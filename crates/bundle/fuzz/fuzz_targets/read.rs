//! `cargo +nightly fuzz run read` (from `crates/bundle`): feeds arbitrary bytes
//! to `read` with the fixed test keys, so mutations of the committed corpus
//! (valid bundles signed and encrypted with those keys) get past the
//! signature and decryption checks into the parser and verifier. Any panic
//! is a bug: add the input to `corpus/read/` (the crate's unit tests replay
//! every file there).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = fieldbook_bundle::fixtures::read_fixed(data);
    let _ = fieldbook_bundle::inspect(data);
});
