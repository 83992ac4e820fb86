//! Why an item could not be read, without its content: serde's own messages quote the offending
//! value (`invalid type: string "…"`), which may be a customer's message, and reasons end up in
//! logs and in the UI.

use std::fmt;

/// The kind of JSON failure, as serde_json classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// Not valid JSON.
    Syntax,
    /// Valid JSON of an unexpected shape or type (a string where an object belongs…).
    Shape,
    /// The JSON ends early.
    Truncated,
}

/// What was being read, the kind of failure and where (1-based line and column of the item's
/// text). Built only from fixed words and numbers, so it can be shown and logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reason {
    pub what: &'static str,
    pub kind: FailureKind,
    /// `(line, column)` where the failure was found, when known.
    pub position: Option<(usize, usize)>,
}

impl Reason {
    pub(crate) fn from_serde(what: &'static str, e: &serde_json::Error) -> Reason {
        use serde_json::error::Category;
        let kind = match e.classify() {
            Category::Syntax | Category::Io => FailureKind::Syntax,
            Category::Data => FailureKind::Shape,
            Category::Eof => FailureKind::Truncated,
        };
        let position = (e.line() > 0).then(|| (e.line(), e.column()));
        Reason {
            what,
            kind,
            position,
        }
    }

    pub(crate) fn shape(what: &'static str) -> Reason {
        Reason {
            what,
            kind: FailureKind::Shape,
            position: None,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            FailureKind::Syntax => "malformed JSON",
            FailureKind::Shape => "unexpected shape or type",
            FailureKind::Truncated => "truncated JSON",
        };
        write!(f, "{}: {kind}", self.what)?;
        if let Some((line, column)) = self.position {
            write!(f, " at line {line} column {column}")?;
        }
        Ok(())
    }
}

/// A content-free description of a serde error, for errors outside the webhook model.
pub(crate) fn describe(what: &'static str, e: &serde_json::Error) -> String {
    Reason::from_serde(what, e).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_category_and_position_but_not_the_value() {
        let e = serde_json::from_str::<u32>(r#""secreto""#).unwrap_err();
        assert!(e.to_string().contains("secreto"), "serde quotes it: {e}");
        let r = Reason::from_serde("number", &e);
        assert_eq!(r.kind, FailureKind::Shape);
        assert_eq!(r.position, Some((1, 9)));
        assert_eq!(
            r.to_string(),
            "number: unexpected shape or type at line 1 column 9"
        );
        let e = serde_json::from_str::<Vec<u32>>("[1, 2").unwrap_err();
        assert_eq!(Reason::from_serde("list", &e).kind, FailureKind::Truncated);
        let e = serde_json::from_str::<Vec<u32>>("[1,,]").unwrap_err();
        assert_eq!(Reason::from_serde("n", &e).kind, FailureKind::Syntax);
    }
}
