//! For the hub's tests and benchmarks in other crates: a fresh database on
//! the PostgreSQL server they run against. Not part of the hub.

/// A fresh, empty database on the server `FIELDBOOK_TEST_POSTGRES` names
/// (`postgres://user@host:port/postgres`; `scripts/test.sh` starts one and
/// sets it), as a URL. Without the variable: a failure in CI, elsewhere
/// `None` with a loud message, so the PostgreSQL half is seen to be skipped.
pub fn postgres_database() -> Option<String> {
    let Ok(server) = std::env::var("FIELDBOOK_TEST_POSTGRES") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs the hub on PostgreSQL: set FIELDBOOK_TEST_POSTGRES (scripts/test.sh starts one)"
        );
        eprintln!("\n*** SKIPPED on PostgreSQL: FIELDBOOK_TEST_POSTGRES is not set (scripts/test.sh sets it) ***\n");
        return None;
    };
    let mut id = [0u8; 8];
    getrandom::fill(&mut id).expect("the OS random source");
    let name = format!("hub_test_{}", hex::encode(id));
    let out = std::process::Command::new("psql")
        .args([&server, "-v", "ON_ERROR_STOP=1", "-c"])
        .arg(format!("CREATE DATABASE {name}"))
        .output()
        .expect("psql (postgresql-client) runs");
    assert!(
        out.status.success(),
        "creating {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (base, _) = server
        .rsplit_once('/')
        .expect("FIELDBOOK_TEST_POSTGRES ends in /DATABASE");
    Some(format!("{base}/{name}"))
}
