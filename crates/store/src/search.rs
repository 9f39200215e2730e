//! Full-text search over every searchable field of every kind (SQLite FTS5 with
//! the trigram tokenizer, so Japanese and Vietnamese text match without word
//! segmentation). Query words shorter than three characters fall back to LIKE.

use fieldbook_core::kinds::{FieldSpec, KindSpec};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::error::Result;
use crate::sql::stored_from;
use crate::write::kind_spec;
use crate::Store;

/// Highlight markers around matched text in snippets: private-use characters,
/// so no user text can contain them; the UI turns them into <mark>.
pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub kind: String,
    pub id: String,
    pub title: String,
    pub snippet: String,
    /// The study to open to show this record, if it lives in one.
    pub study_id: Option<String>,
}

/// Rewrites the index entry of one record from its stored row (removing it
/// if the record is deleted).
pub(crate) fn reindex(conn: &Connection, kind: &KindSpec, id: &str) -> Result<()> {
    let searchable: Vec<&str> = searchable(kind).map(|f| f.name).collect();
    if searchable.is_empty() {
        return Ok(());
    }
    let texts: Option<Vec<String>> = conn
        .prepare_cached(&format!(
            "SELECT {} FROM {} WHERE id = ?1 AND deleted_at IS NULL",
            searchable.join(", "),
            kind.table()
        ))?
        .query_row([id], |r| {
            (0..searchable.len())
                .map(|i| {
                    Ok(stored_from(r.get_ref(i)?)
                        .as_text()
                        .unwrap_or_default()
                        .to_string())
                })
                .collect()
        })
        .optional()?;
    let texts: Option<Vec<&str>> = texts
        .as_ref()
        .map(|t| t.iter().map(String::as_str).collect());
    set_entry(conn, kind, id, texts.as_deref(), Entry::MayExist)
}

/// Whether a record may already have an index entry to replace.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    MayExist,
    /// A record this replica had never seen (an import skips the lookup).
    New,
}

/// The kind's searchable fields, in declaration order.
pub(crate) fn searchable(kind: &KindSpec) -> impl Iterator<Item = &FieldSpec> {
    kind.fields.iter().filter(|f| f.searchable)
}

/// Sets the index entry of one record to `texts`, its searchable fields in
/// [`searchable`] order (`None`: the record is deleted, so no entry).
pub(crate) fn set_entry(
    conn: &Connection,
    kind: &KindSpec,
    id: &str,
    texts: Option<&[&str]>,
    entry: Entry,
) -> Result<()> {
    let rowid: Option<i64> = match entry {
        Entry::New => None,
        Entry::MayExist => conn
            .prepare_cached("SELECT rowid FROM search_doc WHERE record_id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?,
    };
    if let Some(rowid) = rowid {
        conn.prepare_cached("DELETE FROM search WHERE rowid = ?1")?
            .execute([rowid])?;
    }
    let Some(texts) = texts else {
        return Ok(());
    };
    let rowid = match rowid {
        Some(r) => r,
        None => {
            conn.prepare_cached("INSERT INTO search_doc (record_id, kind) VALUES (?1, ?2)")?
                .execute([id, kind.name])?;
            conn.last_insert_rowid()
        }
    };
    let title: Vec<&str> = searchable(kind)
        .zip(texts)
        .filter(|(f, _)| kind.title.contains(&f.name))
        .map(|(_, t)| *t)
        .collect();
    let body: Vec<&str> = texts.iter().copied().filter(|t| !t.is_empty()).collect();
    conn.prepare_cached("INSERT INTO search (rowid, title, body) VALUES (?1, ?2, ?3)")?
        .execute(params![rowid, title.join(" "), body.join("\n")])?;
    Ok(())
}

impl Store {
    /// Records whose searchable text contains every word of `text`, best first.
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<Hit>> {
        let words: Vec<&str> = text.split_whitespace().collect();
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let (long, short): (Vec<&str>, Vec<&str>) =
            words.into_iter().partition(|w| w.chars().count() >= 3);
        let mut conditions = Vec::new();
        let mut bind: Vec<String> = Vec::new();
        if !long.is_empty() {
            // Each word as an FTS5 string literal: quotes doubled, no operators.
            let query = long
                .iter()
                .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
                .collect::<Vec<_>>()
                .join(" AND ");
            bind.push(query);
            conditions.push(format!("search MATCH ?{}", bind.len()));
        }
        for w in short {
            let escaped = w
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            bind.push(format!("%{escaped}%"));
            conditions.push(format!("search.body LIKE ?{} ESCAPE '\\'", bind.len()));
        }
        let sql = format!(
            "SELECT d.kind, d.record_id,
                    snippet(search, 1, '{MARK_START}', '{MARK_END}', '…', 16)
             FROM search JOIN search_doc d ON d.rowid = search.rowid
             WHERE {}
             ORDER BY {} LIMIT {limit}",
            conditions.join(" AND "),
            if long.is_empty() {
                "d.rowid DESC"
            } else {
                "rank"
            },
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(bind.iter()), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut hits = Vec::new();
        for row in rows {
            let (kind, id, snippet) = row?;
            let record = self.get(&kind, &id)?;
            let study_id = self.study_of(kind_spec(&kind)?.name, &id)?;
            hits.push(Hit {
                kind,
                id,
                title: record.title,
                snippet,
                study_id,
            });
        }
        Ok(hits)
    }
}
