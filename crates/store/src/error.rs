use fieldbook_core::ValidationErrors;

/// What can go wrong in the store. Every message says what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Invalid(#[from] ValidationErrors),
    #[error("unknown record kind '{0}': use one of country, city, org, contact, collaboration, study, visit, finding, measurement, attachment, need, technology, parameter")]
    UnknownKind(String),
    #[error("{kind} has no field '{field}': see `fieldbook {kind} add --help` for its fields")]
    UnknownField { kind: String, field: String },
    #[error("no {kind} with id {id}: check the id with `fieldbook {kind} list`")]
    NotFound { kind: String, id: String },
    #[error("{field}: no live {target} with id {id}: check the id with `fieldbook {target} list`")]
    MissingReference {
        field: String,
        target: String,
        id: String,
    },
    #[error("a {kind} with {fields} = {value} already exists: choose another value or edit that one")]
    Duplicate {
        kind: String,
        fields: String,
        value: String,
    },
    #[error("{kind} {id} already exists: a new record needs a new id")]
    IdTaken { kind: String, id: String },
    #[error("{kind} {id} is in the Trash: restore it first")]
    InTrash { kind: String, id: String },
    #[error("{kind} {id} is not in the Trash")]
    NotInTrash { kind: String, id: String },
    #[error("{kind} {id} belongs to {parent_kind} {parent_id}, which is in the Trash: restore that first")]
    ParentInTrash {
        kind: String,
        id: String,
        parent_kind: String,
        parent_id: String,
    },
    #[error("this database was written by a newer Fieldbook (schema {found}, this build knows up to {supported}): update Fieldbook to open it")]
    NewerDatabase { found: i64, supported: i64 },
    #[error("{0}")]
    Attachment(String),
    #[error("sample data is invalid: {0}")]
    Sample(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
