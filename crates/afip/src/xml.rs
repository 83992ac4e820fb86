//! A tiny namespace-aware XML tree, enough to read SOAP responses tolerantly.
//!
//! AFIP's stacks echo whatever namespace prefix the request used (WSAA) or answer with a default
//! namespace (WSFE), so callers look elements up by *local name*; the namespace URI is kept for the
//! simulator, which must ignore unqualified elements the way the .NET deserializer does.

use std::borrow::Cow;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

/// One element: local name, namespace URI (if bound), attributes, children and concatenated text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub name: String,
    pub ns: Option<String>,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

/// The document is not well-formed XML.
#[derive(Debug, thiserror::Error)]
#[error("malformed XML: {0}")]
pub struct XmlError(pub String);

impl Element {
    /// First direct child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every direct child with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Follows a path of local names from this element.
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |e, n| e.child(n))
    }

    /// Trimmed text of a direct child.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim())
    }

    /// First element with this local name in a depth-first walk (self included).
    pub fn find(&self, name: &str) -> Option<&Element> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }

    /// Attribute value by local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a document into its root element.
pub fn parse(xml: &str) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let err = |e: &dyn std::fmt::Display| XmlError(e.to_string());
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(|e| err(&e))?;
        let ns = match ns {
            ResolveResult::Bound(n) => Some(n.0.to_owned()),
            _ => None,
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let mut el = Element {
                    name: e.local_name().as_ref().to_owned(),
                    ns,
                    ..Element::default()
                };
                for a in e.attributes() {
                    let a = a.map_err(|e| err(&e))?;
                    let key = a.key.local_name().as_ref().to_owned();
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| err(&e))?
                        .into_owned();
                    el.attrs.push((key, value));
                }
                if matches!(event, Event::Empty(_)) {
                    if stack.is_empty() {
                        return Ok(el);
                    }
                    close(&mut stack, el)?;
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| XmlError("unbalanced end tag".into()))?;
                if stack.is_empty() {
                    return Ok(el);
                }
                close(&mut stack, el)?;
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| err(&e))? {
                    Some(c) => c.to_string(),
                    None => match r.xml10_content().as_ref() {
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "amp" => "&".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => return Err(XmlError(format!("unknown entity &{other};"))),
                    },
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&resolved);
                }
            }
            Event::Eof => return Err(XmlError("unexpected end of document".into())),
            _ => {}
        }
    }
}

fn close(stack: &mut [Element], el: Element) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(parent) => {
            parent.children.push(el);
            Ok(())
        }
        None => Err(XmlError("empty root element".into())),
    }
}

/// Escapes text for element content or attribute values.
pub fn escape(s: &str) -> Cow<'_, str> {
    quick_xml::escape::escape(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_local_names_namespaces_and_entities() {
        let doc = r#"<?xml version="1.0"?><s:Envelope xmlns:s="urn:s"><s:Body><R xmlns="urn:r"><A>x &lt;b&gt; &amp; &#65;</A><B /></R></s:Body></s:Envelope>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "Envelope");
        let r = root.find("R").unwrap();
        assert_eq!(r.ns.as_deref(), Some("urn:r"));
        assert_eq!(r.child_text("A"), Some("x <b> & A"));
        assert_eq!(r.child_text("B"), Some(""));
        assert_eq!(
            root.path(&["Body", "R", "A"]).unwrap().ns.as_deref(),
            Some("urn:r")
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a>").is_err());
    }
}
