//! [`FleetError`]: why a fleet file could not be used.

/// Why a fleet file could not be used.
#[derive(Debug)]
#[non_exhaustive]
pub enum FleetError {
    /// The file could not be read.
    Io(std::io::Error),
    /// The JSON is not a fleet (the message says where).
    Json(serde_json::Error),
    /// A customer appears twice, or two customers share an upgrade id.
    Duplicate(String),
}

impl std::fmt::Display for FleetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(_) => f.write_str("the fleet file could not be read"),
            Self::Json(error) => write!(f, "the fleet is not valid: {error}"),
            Self::Duplicate(what) => write!(f, "the fleet names {what} twice"),
        }
    }
}

impl std::error::Error for FleetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(error) => Some(error),
            _ => None,
        }
    }
}
