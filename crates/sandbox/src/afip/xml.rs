//! The simulator's own XML reader, independent of the AFIP client's, so a parsing bug in the
//! client is not mirrored here and hidden.
//!
//! It reads like AFIP's stacks do: every element keeps its namespace URI, and WSFE lookups go
//! through [`Element::q`], which sees only elements in the expected namespace. The .NET
//! deserializer behind WSFE silently ignores an element that is not in
//! `http://ar.gov.afip.dif.FEV1/`, so an unqualified `<Auth>` is "missing" and an unqualified
//! field is 0. WSAA (Axis) does not check namespaces, so it looks elements up by local name.
//! Documents with a DTD are refused, as .NET's reader does by default.

use quick_xml::events::attributes::Attributes;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

/// One element: namespace URI (`None` when unqualified), local name, text and children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub ns: Option<String>,
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

/// Not a well-formed document (or one with a DTD).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError(pub String);

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Element {
    /// A leaf in namespace `ns` (what the simulator stores when it fills a default).
    pub fn leaf(ns: &str, name: &str, text: impl Into<String>) -> Element {
        Element {
            ns: Some(ns.to_owned()),
            name: name.to_owned(),
            text: text.into(),
            children: Vec::new(),
        }
    }

    /// The first child named `name` in namespace `ns`: other namespaces and unqualified children
    /// do not exist for this lookup.
    pub fn q(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children
            .iter()
            .find(|c| c.name == name && c.ns.as_deref() == Some(ns))
    }

    /// Every child named `name` in namespace `ns`.
    pub fn q_all<'a>(&'a self, ns: &'a str, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children
            .iter()
            .filter(move |c| c.name == name && c.ns.as_deref() == Some(ns))
    }

    /// Trimmed text of [`Element::q`].
    pub fn q_text(&self, ns: &str, name: &str) -> Option<&str> {
        self.q(ns, name).map(|c| c.text.trim())
    }

    /// First element with this local name, any namespace, depth first (self included): for Axis,
    /// which does not look at namespaces.
    pub fn find_local(&self, name: &str) -> Option<&Element> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find_local(name))
    }

    /// The first child with this local name, any namespace.
    pub fn child_local(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
}

fn resolved(ns: ResolveResult<'_>) -> Result<Option<String>, XmlError> {
    match ns {
        ResolveResult::Bound(n) => Ok(Some(n.0.to_owned())),
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Unknown(p) => Err(XmlError(format!("undeclared namespace prefix {p}"))),
    }
}

fn check_attributes(attrs: Attributes<'_>) -> Result<(), XmlError> {
    for a in attrs {
        a.map_err(|e| XmlError(e.to_string()))?;
    }
    Ok(())
}

/// Parses a whole document into its root element.
pub fn parse(doc: &str) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(doc);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| XmlError(e.to_string()))?;
        match event {
            Event::Start(ref s) | Event::Empty(ref s) => {
                if root.is_some() {
                    return Err(XmlError("content after the root element".into()));
                }
                check_attributes(s.attributes())?;
                let el = Element {
                    ns: resolved(ns)?,
                    name: s.local_name().as_ref().to_owned(),
                    ..Element::default()
                };
                if matches!(event, Event::Empty(_)) {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(el),
                        None => root = Some(el),
                    }
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| XmlError("end tag without a start".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let text = t.xml10_content();
                match stack.last_mut() {
                    Some(top) => top.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(XmlError("text outside the root element".into())),
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&c.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let text = match r.resolve_char_ref().map_err(|e| XmlError(e.to_string()))? {
                    Some(c) => c.to_string(),
                    None => match r.xml10_content().as_ref() {
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "amp" => "&".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => {
                            return Err(XmlError(format!("reference to undeclared entity {other}")))
                        }
                    },
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Event::DocType(_) => {
                return Err(XmlError(
                    "For security reasons DTD is prohibited in this XML document.".into(),
                ))
            }
            Event::Eof => {
                return match (root, stack.is_empty()) {
                    (Some(r), true) => Ok(r),
                    _ => Err(XmlError("unexpected end of file".into())),
                }
            }
            _ => {}
        }
    }
}

/// Escapes text for element content the way ASP.NET writes it (`&lt;`, `&gt;`, `&amp;`).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes the way Axis 1.4 writes text: also quotes, and every non-ASCII character as a
/// character reference (`inv&#xE1;lida`).
pub fn escape_axis(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c if !c.is_ascii() => out.push_str(&format!("&#x{:X};", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = "http://ar.gov.afip.dif.FEV1/";

    #[test]
    fn only_qualified_children_are_seen() {
        let doc = format!(
            "<s:Envelope xmlns:s=\"urn:s\"><s:Body><fe:Op xmlns:fe=\"{NS}\"><Auth><Token>t</Token></Auth><fe:PtoVta> 3 </fe:PtoVta><x:PtoVta xmlns:x=\"urn:other\">9</x:PtoVta></fe:Op></s:Body></s:Envelope>"
        );
        let root = parse(&doc).unwrap();
        let op = root.find_local("Op").unwrap();
        assert_eq!(op.ns.as_deref(), Some(NS));
        assert!(op.q(NS, "Auth").is_none(), "unqualified Auth is ignored");
        assert!(op.child_local("Auth").is_some());
        assert_eq!(op.q_text(NS, "PtoVta"), Some("3"));
        assert_eq!(op.q_all(NS, "PtoVta").count(), 1);
    }

    #[test]
    fn default_namespace_applies_to_children() {
        let root = parse(&format!(
            "<Op xmlns=\"{NS}\"><A>&lt;x&gt; &amp; &#65;</A><B/></Op>"
        ))
        .unwrap();
        assert_eq!(root.q_text(NS, "A"), Some("<x> & A"));
        assert_eq!(root.q_text(NS, "B"), Some(""));
    }

    #[test]
    fn refuses_malformed_documents_and_dtds() {
        for bad in [
            "<a><b></a>",
            "<a>",
            "<a/><b/>",
            "<p:a/>",
            "<a>&ent;</a>",
            "<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn axis_escapes_non_ascii() {
        assert_eq!(escape_axis("inválida <x>"), "inv&#xE1;lida &lt;x&gt;");
        assert_eq!(escape("a<b & c"), "a&lt;b &amp; c");
    }
}
