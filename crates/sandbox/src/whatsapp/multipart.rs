//! A small `multipart/form-data` reader for the media upload endpoint.

/// One part: its name, file name, content type and bytes.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: bytes::Bytes,
}

/// The boundary of a `multipart/form-data; boundary=…` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim_matches('"').to_owned())
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

fn header_param(line: &str, key: &str) -> Option<String> {
    line.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// Splits a body into parts; `None` if it is not well formed.
pub fn parse(body: &bytes::Bytes, boundary: &str) -> Option<Vec<Part>> {
    let delim = format!("--{boundary}");
    let delim = delim.as_bytes();
    let mut parts = Vec::new();
    let mut pos = find(body, delim, 0)? + delim.len();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            return Some(parts);
        }
        // Skip the CRLF after the delimiter.
        pos = find(body, b"\r\n", pos)? + 2;
        let headers_end = find(body, b"\r\n\r\n", pos)?;
        let headers = std::str::from_utf8(&body[pos..headers_end]).ok()?;
        let data_start = headers_end + 4;
        let next = find(body, &[b"\r\n", delim].concat(), data_start)?;
        let (mut name, mut filename, mut content_type) = (None, None, None);
        for line in headers.split("\r\n") {
            let (k, v) = line.split_once(':')?;
            match k.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    name = header_param(v, "name");
                    filename = header_param(v, "filename");
                }
                "content-type" => content_type = Some(v.trim().to_owned()),
                _ => {}
            }
        }
        parts.push(Part {
            name: name?,
            filename,
            content_type,
            data: body.slice(data_start..next),
        });
        pos = next + 2 + delim.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_files() {
        let body = bytes::Bytes::from_static(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nimage/png\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x00\r\n--XyZ--\r\n",
        );
        assert_eq!(
            boundary("multipart/form-data; boundary=XyZ").as_deref(),
            Some("XyZ")
        );
        let parts = parse(&body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(&parts[0].data[..], b"image/png");
        assert_eq!(parts[1].filename.as_deref(), Some("a.png"));
        assert_eq!(&parts[1].data[..], b"\x89PNG\r\n\x00");
    }
}
