//! Catalogue errors: each names the file, line, column, entry and field.

use std::fmt;

/// A place in a catalogue file (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One problem in the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// The text is not valid RON for the schema.
    #[error("{message} at {location}")]
    Syntax { message: String, location: Location },
    /// A value breaks a rule of the schema.
    #[error("{message} at {location}")]
    Invalid { message: String, location: Location },
    /// A file could not be read.
    #[error("cannot read {path}: {reason}")]
    Io { path: String, reason: String },
}

impl CatalogError {
    /// The location, when the error has one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            CatalogError::Syntax { location, .. } | CatalogError::Invalid { location, .. } => {
                Some(location)
            }
            CatalogError::Io { .. } => None,
        }
    }
}

/// Joins errors one per line, for the CLI and the UI.
pub fn join(errors: &[CatalogError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}
