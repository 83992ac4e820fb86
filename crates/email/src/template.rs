//! One template, two renderings: the plain text and the HTML of a notice come from the same
//! paragraphs, so they never say different things. Spanish, signed with the shop's name.

/// A notice to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice<'a> {
    pub shop_name: &'a str,
    /// The customer's name for the greeting (`Hola Ana,`); `None`: `Hola,`.
    pub customer_name: Option<&'a str>,
    /// The message, paragraphs separated by blank lines.
    pub body: &'a str,
    /// The attached files' names, listed before the signature so a reader knows to look.
    pub attachments: &'a [String],
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl Notice<'_> {
    fn paragraphs(&self) -> Vec<String> {
        let greeting = match self.customer_name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => format!("Hola {n},"),
            None => "Hola,".to_owned(),
        };
        let mut ps = vec![greeting];
        ps.extend(
            self.body
                .replace("\r\n", "\n")
                .split("\n\n")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
        );
        match self.attachments {
            [] => {}
            [one] => ps.push(format!("Te adjuntamos {one}.")),
            many => ps.push(format!("Te adjuntamos: {}.", many.join(", "))),
        }
        ps.push(format!("Saludos,\n{}", self.shop_name.trim()));
        ps
    }

    /// The plain-text part.
    pub fn text(&self) -> String {
        let mut t = self.paragraphs().join("\n\n");
        t.push('\n');
        t
    }

    /// The HTML part: the same paragraphs, escaped, line breaks kept.
    pub fn html(&self) -> String {
        let body: String = self
            .paragraphs()
            .iter()
            .map(|p| format!("<p>{}</p>\n", escape(p).replace('\n', "<br>\n")))
            .collect();
        format!(
            "<!DOCTYPE html>\n<html lang=\"es-AR\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n<body style=\"font-family:sans-serif;font-size:15px;line-height:1.5\">\n{body}</body>\n</html>\n",
            escape(self.shop_name.trim())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_html_say_the_same_in_spanish() {
        let n = Notice {
            shop_name: "Kiosco <Don Pepe>",
            customer_name: Some("Ana"),
            body: "Tu turno es mañana a las 10.\n\nSi no podés venir, avisanos.",
            attachments: &[],
        };
        let t = n.text();
        assert!(t.starts_with("Hola Ana,\n\nTu turno es mañana a las 10.\n\n"));
        assert!(t.ends_with("Saludos,\nKiosco <Don Pepe>\n"));
        let h = n.html();
        assert!(h.contains("<p>Tu turno es mañana a las 10.</p>"));
        assert!(h.contains("Kiosco &lt;Don Pepe&gt;"));
        assert!(!h.contains("<Don Pepe>"));
        assert!(h.contains("lang=\"es-AR\""));
        let anon = Notice {
            customer_name: None,
            ..n
        };
        assert!(anon.text().starts_with("Hola,\n"));
        let files = ["Factura-B-00001-00000001.pdf".to_owned()];
        let with = Notice {
            attachments: &files,
            ..n
        };
        assert!(with.text().ends_with(
            "Te adjuntamos Factura-B-00001-00000001.pdf.\n\nSaludos,\nKiosco <Don Pepe>\n"
        ));
        assert!(with
            .html()
            .contains("<p>Te adjuntamos Factura-B-00001-00000001.pdf.</p>"));
    }
}
