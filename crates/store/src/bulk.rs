//! Multi-row INSERTs for imports: one statement per row costs SQLite more
//! than the row itself (statement setup, cursor opening, reset), so rows go
//! [`ROWS_PER_STATEMENT`] at a time. (SQLite keeps a statement journal for
//! a multi-row statement that could fail halfway, e.g. on an immediate
//! foreign key: the tables filled here have none.)

use rusqlite::{Connection, Statement};

use crate::error::Result;

/// Rows per statement: with the 17 op columns that is 544 parameters, well
/// under SQLite's limit of 32,766.
const ROWS_PER_STATEMENT: usize = 32;

/// Inserts `rows` with `insert` (`"INSERT … INTO table (c1, …, cN)"`, whose
/// column count is `width`); `bind` binds one row's `width` values starting
/// at the given 1-based parameter index.
pub(crate) fn insert_rows<T>(
    conn: &Connection,
    insert: &str,
    width: usize,
    rows: &[T],
    bind: impl Fn(&mut Statement<'_>, usize, &T) -> rusqlite::Result<()>,
) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut stmt = conn.prepare_cached(&values_sql(insert, width, chunk.len()))?;
        for (i, row) in chunk.iter().enumerate() {
            bind(&mut stmt, i * width + 1, row)?;
        }
        stmt.raw_execute()?;
    }
    Ok(())
}

/// `insert VALUES (?, …), …` for `rows` rows of `width` values.
fn values_sql(insert: &str, width: usize, rows: usize) -> String {
    let row = format!("({})", vec!["?"; width].join(", "));
    format!("{insert} VALUES {}", vec![row; rows].join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_beyond_one_statement_are_all_inserted_in_order() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (a INTEGER, b TEXT)")
            .unwrap();
        let rows: Vec<(i64, String)> = (0..70).map(|i| (i, format!("row {i}"))).collect();
        insert_rows(&conn, "INSERT INTO t (a, b)", 2, &rows, |s, at, (a, b)| {
            s.raw_bind_parameter(at, a)?;
            s.raw_bind_parameter(at + 1, b)
        })
        .unwrap();
        let back: Vec<(i64, String)> = conn
            .prepare("SELECT a, b FROM t ORDER BY rowid")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(back, rows);
    }
}
