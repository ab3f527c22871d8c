//! The one error type of the domain; each wire maps it to its own status and body.

use crate::store::{Cause, StoreError};

/// Why a domain operation did not happen. Nothing was changed when one is returned.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// No credential, or one that is unknown or revoked.
    Unauthorized(String),
    /// The caller is known but may not do this.
    Forbidden(String),
    /// The thing named does not exist (or is not visible to the caller).
    NotFound(String),
    /// A field is missing or wrong; `message` names the field.
    Invalid { field: String, message: String },
    /// The request conflicts with existing state.
    Conflict(String),
    /// The thing named existed but has expired.
    Gone(String),
    /// Too many requests; try again after this many seconds.
    RateLimited {
        retry_after_secs: u64,
        message: String,
    },
    /// A size limit was exceeded; the message names the limit.
    TooLarge(String),
    /// The database cannot take the request now; try again later.
    Unavailable(String),
    /// A fault of the server.
    Internal(String),
}

impl Error {
    /// An invalid-field error whose message names the field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Error {
        Error::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// The same error in a wire's own field names: `names` maps a domain field name to the
    /// wire's, and a message that begins with the field's name (as the core writes them:
    /// "display_name must not be empty") begins with the wire's name instead.
    pub fn in_wire_names(self, names: &[(&str, &str)]) -> Error {
        let Error::Invalid { field, message } = self else {
            return self;
        };
        match names.iter().find(|(domain, _)| *domain == field) {
            Some((domain, wire)) => Error::Invalid {
                field: wire.to_string(),
                message: match message.strip_prefix(domain) {
                    Some(rest) if rest.starts_with(' ') => format!("{wire}{rest}"),
                    _ => message,
                },
            },
            None => Error::Invalid { field, message },
        }
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        match self {
            Error::Unauthorized(m)
            | Error::Forbidden(m)
            | Error::NotFound(m)
            | Error::Conflict(m)
            | Error::Gone(m)
            | Error::TooLarge(m)
            | Error::Unavailable(m)
            | Error::Internal(m) => m,
            Error::Invalid { message, .. } | Error::RateLimited { message, .. } => message,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// What the client is told when the database cannot take a request: the cause, never the
/// database's own text.
fn unavailable_reason(cause: Cause) -> &'static str {
    match cause {
        Cause::DiskFull => "the database is unavailable: the disk is full; retry later",
        Cause::Locked => {
            "the database is unavailable: it is locked by another process; retry shortly"
        }
        Cause::Unreachable => "the database is unavailable: it cannot be reached; retry shortly",
        Cause::Other => "the database is unavailable right now; retry shortly",
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e.unavailable() {
            Some(cause) => {
                log::warn!("{}", crate::store::describe(&e));
                Error::Unavailable(unavailable_reason(cause).into())
            }
            None => {
                log::error!("{}", crate::store::describe(&e));
                Error::Internal("internal database error".into())
            }
        }
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        Error::from(StoreError::from(e))
    }
}

/// Result of a domain operation.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wire_renames_the_field_and_the_message_that_begins_with_it() {
        let names = [("display_name", "displayName"), ("panel", "panelId")];
        let e = Error::invalid("display_name", "display_name must not be empty");
        assert_eq!(
            e.in_wire_names(&names),
            Error::invalid("displayName", "displayName must not be empty")
        );
        // Only a leading, whole field name is rewritten.
        let e = Error::invalid("panel", "panels of type 1 hold no messages");
        assert_eq!(
            e.in_wire_names(&names),
            Error::invalid("panelId", "panels of type 1 hold no messages")
        );
        // Other fields and other errors pass unchanged.
        let e = Error::invalid("email", "email is not an address");
        assert_eq!(e.clone().in_wire_names(&names), e);
        let e = Error::NotFound("display_name".into());
        assert_eq!(e.clone().in_wire_names(&names), e);
    }
}
