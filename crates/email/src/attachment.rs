//! A file attached to an e-mail (an invoice PDF), checked when it is built: a plain file name, a
//! `type/subtype` MIME type, and a size the providers take. The limits are ours, below theirs:
//! SendGrid refuses a message over 30 MB and Gmail over 25 MB, both counted after base64 (which
//! adds a third), so the raw files may add up to [`MAX_TOTAL_BYTES`].

use std::fmt;

/// One attached file at most (raw bytes).
pub const MAX_ATTACHMENT_BYTES: u64 = 10 * 1024 * 1024;
/// Every attachment of one e-mail together (raw bytes): ≈ 24 MB once base64-encoded.
pub const MAX_TOTAL_BYTES: u64 = 18 * 1024 * 1024;
/// Longest file name (most mail clients and file systems stop at 255).
pub const MAX_FILENAME_CHARS: usize = 200;

/// Why an attachment is refused (the text is for people, es-AR).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("El adjunto no tiene nombre de archivo.")]
    NoName,
    #[error("«{0}» no sirve como nombre de adjunto (sin barras ni caracteres de control, hasta 200 caracteres).")]
    BadName(String),
    #[error("«{mime}» no es un tipo de archivo válido para «{filename}» (tiene que ser como application/pdf).")]
    BadType { filename: String, mime: String },
    #[error("El adjunto «{filename}» está vacío.")]
    Empty { filename: String },
    #[error("El adjunto «{filename}» pesa {} y un correo acepta hasta {} por archivo.", mb(*bytes), mb(*max))]
    TooLarge {
        filename: String,
        bytes: u64,
        max: u64,
    },
    #[error("Los adjuntos suman {} y un correo acepta hasta {} en total.", mb(*bytes), mb(*max))]
    TotalTooLarge { bytes: u64, max: u64 },
}

/// `12,3 MB` (es-AR decimal comma).
fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0).replace('.', ",")
}

/// A checked attachment. Build it with [`Attachment::new`].
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    filename: String,
    content_type: String,
    bytes: Vec<u8>,
}

impl Attachment {
    /// Checks the name, the MIME type and the size.
    pub fn new(
        filename: impl Into<String>,
        content_type: impl Into<String>,
        bytes: Vec<u8>,
    ) -> Result<Attachment, AttachmentError> {
        let filename = filename.into().trim().to_owned();
        let content_type = content_type.into().trim().to_ascii_lowercase();
        check_name(&filename)?;
        check_type(&filename, &content_type)?;
        check_size(&filename, bytes.len() as u64)?;
        Ok(Attachment {
            filename,
            content_type,
            bytes,
        })
    }

    pub fn filename(&self) -> &str {
        &self.filename
    }

    /// MIME type, e.g. `application/pdf`.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

fn check_name(filename: &str) -> Result<(), AttachmentError> {
    if filename.is_empty() {
        return Err(AttachmentError::NoName);
    }
    let bad = filename.chars().count() > MAX_FILENAME_CHARS
        || filename
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\')
        || filename == "."
        || filename == "..";
    if bad {
        return Err(AttachmentError::BadName(
            filename.chars().take(60).collect(),
        ));
    }
    Ok(())
}

fn check_type(filename: &str, mime: &str) -> Result<(), AttachmentError> {
    let token = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    let ok = mime
        .split_once('/')
        .is_some_and(|(t, s)| token(t) && token(s));
    if !ok {
        return Err(AttachmentError::BadType {
            filename: filename.to_owned(),
            mime: mime.chars().take(60).collect(),
        });
    }
    Ok(())
}

/// The size check alone, for a caller that knows a file's size before reading it.
pub fn check_size(filename: &str, bytes: u64) -> Result<(), AttachmentError> {
    if bytes == 0 {
        return Err(AttachmentError::Empty {
            filename: filename.to_owned(),
        });
    }
    if bytes > MAX_ATTACHMENT_BYTES {
        return Err(AttachmentError::TooLarge {
            filename: filename.to_owned(),
            bytes,
            max: MAX_ATTACHMENT_BYTES,
        });
    }
    Ok(())
}

/// The total check for one e-mail's attachments (sizes in bytes).
pub fn check_total(sizes: impl IntoIterator<Item = u64>) -> Result<(), AttachmentError> {
    let bytes: u64 = sizes.into_iter().sum();
    if bytes > MAX_TOTAL_BYTES {
        return Err(AttachmentError::TotalTooLarge {
            bytes,
            max: MAX_TOTAL_BYTES,
        });
    }
    Ok(())
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_types_and_sizes_are_checked() {
        let a = Attachment::new(" factura.pdf ", "Application/PDF", b"%PDF".to_vec()).unwrap();
        assert_eq!(a.filename(), "factura.pdf");
        assert_eq!(a.content_type(), "application/pdf");
        assert_eq!(a.len(), 4);
        assert_eq!(
            Attachment::new("", "application/pdf", b"x".to_vec()),
            Err(AttachmentError::NoName)
        );
        for bad in ["../etc/passwd", "a\\b.pdf", "a\nb.pdf", ".."] {
            assert!(
                matches!(
                    Attachment::new(bad, "application/pdf", b"x".to_vec()),
                    Err(AttachmentError::BadName(_))
                ),
                "{bad:?}"
            );
        }
        for bad in [
            "pdf",
            "application/",
            "application/pdf; x",
            "text/plain\r\nBcc: x",
        ] {
            assert!(
                matches!(
                    Attachment::new("f.pdf", bad, b"x".to_vec()),
                    Err(AttachmentError::BadType { .. })
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            Attachment::new("f.pdf", "application/pdf", vec![]),
            Err(AttachmentError::Empty { .. })
        ));
        let big = vec![0u8; 12 * 1024 * 1024];
        let e = Attachment::new("grande.pdf", "application/pdf", big).unwrap_err();
        assert!(matches!(e, AttachmentError::TooLarge { .. }));
        assert_eq!(
            e.to_string(),
            "El adjunto «grande.pdf» pesa 12,0 MB y un correo acepta hasta 10,0 MB por archivo."
        );
        assert!(matches!(
            check_size("f.pdf", MAX_ATTACHMENT_BYTES + 1),
            Err(AttachmentError::TooLarge { .. })
        ));
        assert!(Attachment::new(
            "justo.pdf",
            "application/pdf",
            vec![0u8; MAX_ATTACHMENT_BYTES as usize]
        )
        .is_ok());
        assert!(check_total([MAX_ATTACHMENT_BYTES, MAX_ATTACHMENT_BYTES]).is_err());
        assert!(check_total([MAX_ATTACHMENT_BYTES, 1024]).is_ok());
    }
}
