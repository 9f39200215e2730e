//! Submission exports as plain tables of text: a CSV file (its delimiter
//! found from the header line, a BOM dropped) or every sheet of an XLSX
//! workbook (numbers and dates written back as the text the survey tools
//! export, so both read the same way afterwards).

use calamine::{Data, Reader, Xlsx};

use super::ImportError;

/// One sheet or CSV file: a header row and rows of text cells.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// The sheet's name, or the CSV file's name without `.csv`.
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// A data row, with its line (CSV) or row number (XLSX) for reports.
#[derive(Debug, Clone)]
pub struct Row {
    pub number: usize,
    pub cells: Vec<String>,
}

impl Sheet {
    pub fn column(&self, header: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == header)
    }

    /// The cell of `row` under `header`, trimmed; "" when absent.
    pub fn cell<'a>(&self, row: &'a Row, header: &str) -> &'a str {
        self.column(header)
            .and_then(|c| row.cells.get(c))
            .map_or("", |s| s.trim())
    }

    /// Up to `n` non-empty values of a column, for guessing what it holds.
    pub fn samples(&self, column: usize, n: usize) -> Vec<&str> {
        self.rows
            .iter()
            .filter_map(|r| r.cells.get(column).map(|c| c.trim()))
            .filter(|c| !c.is_empty())
            .take(n)
            .collect()
    }
}

/// The delimiters survey tools write: KoboToolbox's default is `;`.
const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// Reads a CSV export named `name`.
pub fn read_csv(name: &str, bytes: &[u8]) -> Result<Sheet, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let delimiter = sniff_delimiter(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    let headers = match records.next() {
        Some(header) => text_cells(&header.map_err(|e| bad_csv(name, e))?, name, 1)?,
        None => return Err(ImportError::Empty(name.to_string())),
    };
    if headers.len() < 2 {
        return Err(ImportError::NotATable(format!(
            "{name}: the header line has one column only; is the file a survey export, with columns separated by commas, semicolons or tabs?"
        )));
    }
    let mut rows = Vec::new();
    let mut lines = LineCounter::default();
    for record in records {
        let record = record.map_err(|e| bad_csv(name, e))?;
        let start = record.position().map_or(0, |p| p.byte() as usize);
        let number = lines.line_at(bytes, start);
        if record.iter().all(|c| c.is_empty()) {
            continue;
        }
        rows.push(Row {
            number,
            cells: text_cells(&record, name, number)?,
        });
    }
    Ok(Sheet {
        name: name.to_string(),
        headers,
        rows,
    })
}

/// The 1-based line a byte offset is on, counting forward from the last
/// offset asked (records come in order).
#[derive(Default)]
struct LineCounter {
    offset: usize,
    newlines: usize,
}

impl LineCounter {
    fn line_at(&mut self, bytes: &[u8], offset: usize) -> usize {
        // A record's position may be that of blank lines before it.
        let blank = bytes[offset.min(bytes.len())..]
            .iter()
            .take_while(|&&b| b == b'\n' || b == b'\r')
            .count();
        let offset = (offset + blank).min(bytes.len());
        self.newlines += bytes[self.offset..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.offset = offset;
        self.newlines + 1
    }
}

fn text_cells(
    record: &csv::ByteRecord,
    name: &str,
    line: usize,
) -> Result<Vec<String>, ImportError> {
    record
        .iter()
        .map(|c| {
            String::from_utf8(c.to_vec()).map_err(|_| {
                ImportError::NotATable(format!(
                    "{name}, line {line}: not UTF-8 text; export the data again as UTF-8 CSV"
                ))
            })
        })
        .collect()
}

fn bad_csv(name: &str, e: csv::Error) -> ImportError {
    ImportError::NotATable(format!("{name}: {e}"))
}

/// The delimiter that splits the header line into the most columns,
/// counting outside quotes only.
fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    for &b in bytes {
        if !quoted && (b == b'\n' || b == b'\r') {
            break;
        }
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(i) = DELIMITERS.iter().position(|&d| d == b) {
                counts[i] += 1;
            }
        }
    }
    let best = (0..DELIMITERS.len()).max_by_key(|&i| (counts[i], usize::MAX - i));
    DELIMITERS[best.unwrap_or(0)]
}

/// Reads every sheet of an XLSX export, in the workbook's order.
pub fn read_xlsx(name: &str, bytes: &[u8]) -> Result<Vec<Sheet>, ImportError> {
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| {
        ImportError::NotATable(format!("{name} is not a readable XLSX workbook: {e}"))
    })?;
    let mut sheets = Vec::new();
    for sheet_name in book.sheet_names() {
        let range = book
            .worksheet_range(&sheet_name)
            .map_err(|e| ImportError::NotATable(format!("{name}, sheet {sheet_name}: {e}")))?;
        let start_row = range.start().map_or(0, |(r, _)| r as usize);
        let mut lines = range.rows();
        let Some(header) = lines.next() else {
            continue;
        };
        let headers: Vec<String> = header.iter().map(cell_text).collect();
        let rows = lines
            .enumerate()
            .map(|(i, cells)| Row {
                // 1-based, counting the header, as Excel shows it.
                number: start_row + i + 2,
                cells: cells.iter().map(cell_text).collect(),
            })
            .filter(|r| r.cells.iter().any(|c| !c.is_empty()))
            .collect();
        sheets.push(Sheet {
            name: sheet_name,
            headers,
            rows,
        });
    }
    if sheets.is_empty() {
        return Err(ImportError::Empty(name.to_string()));
    }
    Ok(sheets)
}

/// A cell as the text a CSV export would hold.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.date().to_string(),
            Some(t) => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => d.as_f64().to_string(),
        },
        Data::Error(e) => format!("#{e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolons_commas_and_tabs_are_told_apart_by_the_header() {
        for (text, expected) in [
            ("a;b;\"c;d\"\n1;2;3\n", vec!["a", "b", "c;d"]),
            ("a,b,c\n1,2,3\n", vec!["a", "b", "c"]),
            ("a\tb\n1\t2\n", vec!["a", "b"]),
            ("\u{feff}\"x,y\";z;w\n1;2;3\n", vec!["x,y", "z", "w"]),
        ] {
            let sheet = read_csv("s", text.as_bytes()).unwrap();
            assert_eq!(sheet.headers, expected, "{text}");
            assert_eq!(sheet.rows.len(), 1);
        }
    }

    #[test]
    fn a_one_column_file_is_not_taken_for_a_survey_export() {
        let err = read_csv("notes", b"just some text\nmore text\n").unwrap_err();
        assert!(err.to_string().contains("one column"), "{err}");
    }

    #[test]
    fn rows_keep_their_line_numbers_across_quoted_line_breaks() {
        let sheet = read_csv("s", b"a,b\n\"x\ny\",1\n\n2,3\n").unwrap();
        assert_eq!(sheet.rows.len(), 2);
        assert_eq!(sheet.rows[0].number, 2);
        assert_eq!(sheet.rows[1].number, 5);
        assert_eq!(sheet.cell(&sheet.rows[0], "a"), "x\ny");
    }
}
