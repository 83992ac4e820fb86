//! An e-mail address, checked when a person types it: one `@`, a local part and a domain with a
//! dot, no spaces, within RFC 5321's lengths. Stricter than RFC 5322 on purpose: what passes here
//! is what a shop owner means by "un correo".

use std::fmt;

/// Why an address is refused (the text is for people, es-AR).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("Falta el correo.")]
    Empty,
    #[error("«{0}» no es un correo válido (tiene que ser como nombre@dominio.com).")]
    Invalid(String),
    #[error("El correo es demasiado largo (máximo 254 caracteres).")]
    TooLong,
}

#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Address(String);

impl Address {
    pub fn parse(input: &str) -> Result<Address, AddressError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(AddressError::Empty);
        }
        if s.len() > 254 {
            return Err(AddressError::TooLong);
        }
        let bad = || AddressError::Invalid(s.to_owned());
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        let ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
            && domain.contains('.')
            && domain.split('.').all(label_ok)
            && domain.rsplit('.').next().is_some_and(|tld| tld.len() >= 2);
        if !ok {
            return Err(bad());
        }
        // lettre must agree, or sending would fail later.
        s.parse::<lettre::Address>().map_err(|_| bad())?;
        Ok(Address(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Address {
    type Error = AddressError;
    fn try_from(v: String) -> Result<Self, AddressError> {
        Address::parse(&v)
    }
}

impl From<Address> for String {
    fn from(a: Address) -> String {
        a.0
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Addresses are personal data: logs show the domain only.
impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let domain = self.0.rsplit('@').next().unwrap_or("");
        write!(f, "Address(…@{domain})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_addresses_are_checked() {
        for ok in [
            "ana@example.com",
            " ana.perez+turnos@mail.example.com.ar ",
            "josé@correo.com.ar",
        ] {
            assert!(Address::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "ana @example.com",
            "ana@@example.com",
            "ana..p@example.com",
            "ana@-example.com",
            "ana@example.c",
        ] {
            assert!(
                matches!(Address::parse(bad), Err(AddressError::Invalid(_))),
                "{bad}"
            );
        }
        assert_eq!(Address::parse("  "), Err(AddressError::Empty));
        let a = Address::parse("ana@example.com").unwrap();
        assert_eq!(format!("{a:?}"), "Address(…@example.com)");
        assert_eq!(a.as_str(), "ana@example.com");
    }
}
