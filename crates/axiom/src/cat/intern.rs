//! Symbol interning for cat identifiers (fast environment lookups).

use rustc_hash::FxHashMap;
use std::sync::Arc;

/// An interned identifier.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Sym(pub u32);

/// Identifier table.
#[derive(Default, Debug, Clone)]
pub struct Interner {
    map: FxHashMap<Arc<str>, Sym>,
    names: Vec<Arc<str>>,
}

impl Interner {
    /// Intern a name.
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&x) = self.map.get(s) {
            return x;
        }
        let a: Arc<str> = Arc::from(s);
        let x = Sym(self.names.len() as u32);
        self.names.push(a.clone());
        self.map.insert(a, x);
        x
    }
    /// Look a name up without interning it.
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.map.get(s).copied()
    }
    /// Name of a symbol.
    pub fn name(&self, x: Sym) -> &str {
        &self.names[x.0 as usize]
    }
    /// Shared name of a symbol.
    pub fn name_arc(&self, x: Sym) -> Arc<str> {
        self.names[x.0 as usize].clone()
    }
}
