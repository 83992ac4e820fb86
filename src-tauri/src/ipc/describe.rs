//! Turns the Rust types of a command or event into TypeScript, with every type they use.

use std::any::TypeId;
use std::collections::{BTreeMap, HashSet};

use ts_rs::{Config, TypeVisitor, TS};

/// The TypeScript view of one command or event, filled in by its `describe` function.
pub struct Describe<'a> {
    cfg: &'a Config,
    /// Named type declarations needed by everything described so far, by TypeScript name.
    decls: &'a mut BTreeMap<String, (TypeId, String)>,
    pub args: Vec<(&'static str, String)>,
    pub resolves: Option<String>,
    pub rejects: Option<String>,
}

/// A TypeScript type: its name where it is used (`Organization`, `string | null`).
pub type TsType = String;

impl<'a> Describe<'a> {
    pub fn new(cfg: &'a Config, decls: &'a mut BTreeMap<String, (TypeId, String)>) -> Self {
        Describe {
            cfg,
            decls,
            args: Vec::new(),
            resolves: None,
            rejects: None,
        }
    }

    /// An argument the window sends, under `key`.
    pub fn arg<T: TS + 'static>(&mut self, key: &'static str) {
        let ts = self.declare::<T>();
        self.args.push((key, ts));
    }

    /// What the command resolves with (or the event's payload).
    pub fn resolves<T: TS + 'static>(&mut self) {
        self.resolves = Some(self.declare::<T>());
    }

    /// What the command rejects with.
    pub fn rejects<T: TS + 'static>(&mut self) {
        self.rejects = Some(self.declare::<T>());
    }

    fn declare<T: TS + 'static>(&mut self) -> TsType {
        let mut collector = Collector {
            cfg: self.cfg,
            decls: self.decls,
            seen: HashSet::new(),
        };
        collector.visit::<T>();
        T::name(self.cfg)
    }
}

struct Collector<'a> {
    cfg: &'a Config,
    decls: &'a mut BTreeMap<String, (TypeId, String)>,
    seen: HashSet<TypeId>,
}

impl TypeVisitor for Collector<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if !self.seen.insert(TypeId::of::<T>()) {
            return;
        }
        // Only named (derived) types have a declaration; wrappers (`Option`, `Vec`) and
        // primitives are written inline, but what they contain may be named.
        if T::output_path().is_some() {
            let name = T::ident(self.cfg);
            let id = TypeId::of::<T>();
            match self.decls.get(&name) {
                Some((known, _)) => assert!(
                    *known == id,
                    "two Rust types are both called `{name}` in TypeScript: rename one (#[ts(rename = \"…\")])"
                ),
                None => {
                    self.decls.insert(name, (id, T::decl(self.cfg)));
                }
            }
        }
        T::visit_dependencies(self);
        T::visit_generics(self);
    }
}
