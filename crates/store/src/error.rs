use fieldbook_core::ValidationErrors;

/// What can go wrong in the store. Every message says what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Invalid(#[from] ValidationErrors),
    #[error("unknown record kind '{0}': see `fieldbook --help` for the kinds")]
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
    #[error(
        "a {kind} with {fields} = {value} already exists: choose another value or edit that one"
    )]
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
    #[error("the op log is damaged: {0}; restore the database from a backup")]
    Corrupt(String),
    #[error("two different ops claim to be op {seq} of replica {actor}: the bundle is refused (was a database copied to a second laptop? each laptop needs its own)")]
    Equivocation { actor: String, seq: u64 },
    #[error("sample data is invalid: {0}")]
    Sample(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    /// A stable code for the UI's translations.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Invalid(_) => "invalid",
            StoreError::UnknownKind(_) => "unknown_kind",
            StoreError::UnknownField { .. } => "unknown_field",
            StoreError::NotFound { .. } => "not_found",
            StoreError::MissingReference { .. } => "missing_reference",
            StoreError::Duplicate { .. } => "duplicate",
            StoreError::IdTaken { .. } => "id_taken",
            StoreError::InTrash { .. } => "in_trash",
            StoreError::NotInTrash { .. } => "not_in_trash",
            StoreError::ParentInTrash { .. } => "parent_in_trash",
            StoreError::NewerDatabase { .. } => "newer_database",
            StoreError::Attachment(_) => "attachment",
            StoreError::Corrupt(_) => "corrupt",
            StoreError::Equivocation { .. } => "equivocation",
            StoreError::Sample(_) => "sample",
            StoreError::Sqlite(_) => "database",
            StoreError::Io(_) => "io",
        }
    }

    /// Whether the action was refused for what the records hold (a bad
    /// value, a duplicate, a record in or out of the Trash), not because
    /// the database or a file failed.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            StoreError::Invalid(_)
                | StoreError::NotFound { .. }
                | StoreError::MissingReference { .. }
                | StoreError::Duplicate { .. }
                | StoreError::IdTaken { .. }
                | StoreError::InTrash { .. }
                | StoreError::NotInTrash { .. }
                | StoreError::ParentInTrash { .. }
        )
    }

    /// The field the error is about, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            StoreError::Invalid(errors) => errors.0.first().map(|e| e.field.as_str()),
            StoreError::UnknownField { field, .. } | StoreError::MissingReference { field, .. } => {
                Some(field)
            }
            StoreError::Duplicate { fields, .. } => fields.split(" + ").next(),
            _ => None,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
