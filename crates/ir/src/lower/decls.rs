//! Declarations and types: the file's structs, enums, typedefs, functions
//! and globals, the resolution of syntactic types to [`Ty`] and the
//! allocation of memory objects (globals, locals, dynamic objects).

use super::{Global, Lowerer, Res};
use crate::program::*;
use crate::types::{FieldInfo, LockTy, Ty};
use kvet_syntax::{self as ast, Error, Span};
use rustc_hash::FxHashSet;

/// The fields lowering itself looks up by name (`Layouts::field` in
/// task_structs.rs, sched.rs, kworkers.rs): always laid out.
const LOOKED_UP: &[&str] = &["usage", "pid", "tgid", "exited", "data", "nr", "workers", "idle", "worklist", "__state"];

/// How often `name` occurs in `text` as a whole identifier.
fn word_count(text: &str, name: &str) -> usize {
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let b = text.as_bytes();
    text.match_indices(name)
        .filter(|&(i, _)| {
            let end = i + name.len();
            (i == 0 || !ident(b[i - 1])) && (end >= b.len() || !ident(b[end]))
        })
        .count()
}

impl<'a> Lowerer<'a> {
    pub(super) fn declarations(&mut self, file: &'a ast::File) -> Res<()> {
        // Prelude items are weak: a user definition of the same name wins.
        let mut user = FxHashSet::default();
        for item in file.items.iter().filter(|i| !item_span(i).is_prelude()) {
            if let Some(n) = item_name(item) {
                user.insert(n);
            }
            if let ast::Item::Struct(s) = item {
                self.own_structs.insert(s.name.clone());
            }
        }
        let live = |i: &&ast::Item| !item_span(i).is_prelude() || item_name(i).is_none_or(|n| !user.contains(&n));
        // Types first (they may be used before their definition in the file).
        for item in file.items.iter().filter(live) {
            match item {
                ast::Item::Typedef(t) => {
                    self.typedefs.insert(t.name.clone(), t.ty.clone());
                }
                ast::Item::Enum(e) => {
                    let mut next = 0i64;
                    for (name, val, span) in &e.variants {
                        if let Some(v) = val {
                            next = self.const_eval(v).ok_or_else(|| {
                                Error::new(
                                    *span,
                                    format!("the value of enum constant {name} is not a constant expression"),
                                )
                            })?;
                        }
                        self.consts.insert(name.clone(), next);
                        next = next.wrapping_add(1);
                    }
                }
                ast::Item::Func(f) => {
                    self.funcs.insert(f.name.clone(), f);
                }
                ast::Item::Handler(h) => {
                    self.funcs.insert(h.func.name.clone(), &h.func);
                }
                _ => {}
            }
        }
        // a struct embedded by value must be complete first: structs whose
        // members are defined later (a prelude struct embedding one that
        // the scenario redefines) are retried until nothing changes
        let mut pending: Vec<&ast::StructDef> = file
            .items
            .iter()
            .filter(live)
            .filter_map(|i| if let ast::Item::Struct(s) = i { Some(s) } else { None })
            .collect();
        while !pending.is_empty() {
            let mut later = Vec::new();
            let mut first_err = None;
            for s in pending.iter().copied() {
                match self.define_struct(s) {
                    Err(e) if e.message.contains("is used but never defined") => {
                        first_err.get_or_insert(e);
                        later.push(s);
                    }
                    r => r?,
                }
            }
            if later.len() == pending.len() {
                return Err(
                    first_err.unwrap_or_else(|| Error::new(file.span, "struct definitions refer to each other"))
                );
            }
            pending = later;
        }
        // Globals: declare all, then initialise, so that initialisers may
        // point at globals defined later (`struct node a = { .next = &b };`).
        let mut inits = Vec::new();
        for item in file.items.iter().filter(live) {
            if let ast::Item::Global(g) = item {
                if g.span.is_prelude() {
                    self.lazy_globals.insert(g.name.clone(), g);
                    continue;
                }
                let ty = self.ty(&g.ty, g.span)?;
                let ty = self.complete_array(ty, g.init.as_ref());
                let cell = match self.globals.get(&g.name) {
                    // a tentative or `extern` declaration, then the definition
                    Some(old) if old.ty == ty => old.cell,
                    _ => self.add_global(&g.name, ty.clone(), g.span)?,
                };
                if let Some(init) = &g.init {
                    inits.push((cell, ty, init));
                }
            }
        }
        for (cell, ty, init) in inits {
            self.static_init(cell, &ty, init)?;
        }
        Ok(())
    }

    pub(super) fn declare_global(&mut self, g: &ast::VarDecl) -> Res<u32> {
        let ty = self.ty(&g.ty, g.span)?;
        let ty = self.complete_array(ty, g.init.as_ref());
        let cell = self.add_global(&g.name, ty.clone(), g.span)?;
        if let Some(init) = &g.init {
            self.static_init(cell, &ty, init)?;
        }
        Ok(cell)
    }

    /// A global by name, allocating a prelude global on first use.
    pub(crate) fn global(&mut self, name: &str) -> Res<Option<(u32, Ty)>> {
        if let Some(g) = self.globals.get(name) {
            return Ok(Some((g.cell, g.ty.clone())));
        }
        if let Some(g) = self.lazy_globals.remove(name) {
            let cell = self.declare_global(g)?;
            return Ok(Some((cell, self.globals[name].ty.clone())));
        }
        Ok(None)
    }

    pub(super) fn define_struct(&mut self, s: &ast::StructDef) -> Res<()> {
        let id = self.layouts.struct_id(&s.name);
        let mut fields = Vec::new();
        let mut off = 0u32;
        let mut size = 0u32;
        let kept = if s.is_union { s.fields.len() } else { self.named_prefix(&s.fields) };
        for f in &s.fields[..kept] {
            let ty = self.ty(&f.ty, f.span)?;
            let sz = self.layouts.size_of(&ty, f.span)?;
            let at = if s.is_union { 0 } else { off };
            fields.push(FieldInfo { name: f.name.clone(), ty, offset: at });
            off = at + sz;
            size = size.max(at + sz);
        }
        let info = &mut self.layouts.structs[id as usize];
        if info.complete {
            return Err(Error::new(s.span, format!("struct {} is defined twice", s.name)));
        }
        info.fields = fields;
        info.size = size;
        info.complete = true;
        Ok(())
    }

    /// How many of a struct's fields to lay out: all but its trailing
    /// array fields whose names nothing in the program's text (scenario and
    /// prelude) mentions beyond their declaration, nor lowering looks up
    /// (`task_struct`'s `comm`: 16 cells per task no step reads). No code
    /// can reach such a field by name, and an access by name in text the
    /// scan cannot see (a name pasted by a macro) fails to lower ("no
    /// field") rather than reach another field; positional initialisers
    /// that reach it fail as "too many initializers".
    fn named_prefix(&self, fields: &[ast::Field]) -> usize {
        let mut kept = fields.len();
        while kept > 0 {
            let f = &fields[kept - 1];
            let array = matches!(f.ty, ast::Type::Array(..));
            if !array || LOOKED_UP.contains(&f.name.as_str()) || f.name.is_empty() {
                break;
            }
            let uses = word_count(self.src, &f.name) + word_count(self.prelude, &f.name);
            if uses > 1 {
                break;
            }
            kept -= 1;
        }
        kept
    }

    /// Resolve a syntactic type.
    pub(crate) fn ty(&mut self, t: &ast::Type, span: Span) -> Res<Ty> {
        self.ty_depth(t, span, 0)
    }

    pub(super) fn ty_depth(&mut self, t: &ast::Type, span: Span, depth: u32) -> Res<Ty> {
        if depth > 64 {
            return Err(Error::new(span, "type definitions refer to each other in a cycle"));
        }
        Ok(match t {
            ast::Type::Void => Ty::Void,
            ast::Type::Base(name) => base_ty(name),
            ast::Type::Named(name) => match self.typedefs.get(name).cloned() {
                Some(t) => self.ty_depth(&t, span, depth + 1)?,
                None => base_ty(name),
            },
            ast::Type::Struct(n) | ast::Type::Union(n) if self.own_structs.contains(n) => {
                Ty::Struct(self.layouts.struct_id(n))
            }
            ast::Type::Struct(n) | ast::Type::Union(n) => match n.as_str() {
                "srcu_struct" => Ty::Srcu,
                "mutex" => Ty::Lock(LockTy::Mutex),
                "rw_semaphore" => Ty::Lock(LockTy::Rwsem),
                _ => Ty::Struct(self.layouts.struct_id(n)),
            },
            ast::Type::Enum(_) => Ty::Int,
            ast::Type::Ptr(inner) => {
                if let ast::Type::Func(_, ps) = &**inner {
                    Ty::Func(ps.len() as u32).ptr()
                } else {
                    self.ty_depth(inner, span, depth + 1)?.ptr()
                }
            }
            ast::Type::Array(inner, n) => {
                let el = self.ty_depth(inner, span, depth + 1)?;
                let n = match n {
                    Some(e) => {
                        let v =
                            self.const_eval(e).ok_or_else(|| Error::new(e.span, "array size must be a constant"))?;
                        if !(0..=1 << 16).contains(&v) {
                            return Err(Error::new(e.span, format!("array size {v} is out of range (0..65536)")));
                        }
                        v as u32
                    }
                    None => 0,
                };
                Ty::Array(Box::new(el), n)
            }
            ast::Type::Func(_, ps) => Ty::Func(ps.len() as u32),
            ast::Type::TypeOf(e) => self.type_of_expr(e)?,
        })
    }

    /// `int a[] = {1,2,3}` takes its size from the initializer.
    pub(super) fn complete_array(&self, ty: Ty, init: Option<&ast::Expr>) -> Ty {
        if let (Ty::Array(el, 0), Some(ast::Expr { kind: ast::ExprKind::InitList(items), .. })) = (&ty, init) {
            return Ty::Array(el.clone(), items.len() as u32);
        }
        ty
    }

    pub(crate) fn add_global(&mut self, name: &str, ty: Ty, span: Span) -> Res<u32> {
        if self.globals.contains_key(name) {
            return Err(Error::new(span, format!("global `{name}` is declared twice")));
        }
        let size = self.layouts.size_of(&ty, span)?;
        let cell = self.alloc_object(name, &ty, size);
        self.globals.insert(name.to_string(), Global { cell, ty });
        self.global_order.push(name.to_string());
        Ok(cell)
    }

    pub(super) fn alloc_object(&mut self, name: &str, ty: &Ty, size: u32) -> u32 {
        self.alloc_kind(name, ty, size, ObjKind::Static, 0)
    }

    /// A dynamic object: a hidden status cell (initially `status`), then
    /// the object's cells. Returns the first cell of the object.
    pub(crate) fn alloc_dynamic(&mut self, name: &str, ty: &Ty, size: u32, kind: ObjKind, status: Val) -> u32 {
        self.alloc_kind(name, ty, size, kind, status)
    }

    pub(super) fn alloc_kind(&mut self, name: &str, ty: &Ty, size: u32, kind: ObjKind, status: Val) -> u32 {
        // Past the program's memory limit nothing more is allocated;
        // lowering then fails with `memory_limit_error`.
        let size = if self.init_mem.len() + size as usize + 1 > crate::types::MAX_PROGRAM_CELLS {
            self.over_memory.get_or_insert((name.to_string(), self.cx.span));
            0
        } else {
            size
        };
        let status_cell = (kind != ObjKind::Static).then(|| {
            self.init_mem.push(status);
            (self.init_mem.len() - 1) as u32
        });
        let base = self.init_mem.len() as u32;
        self.init_mem.resize(self.init_mem.len() + size as usize, 0);
        let mut cell_names = Vec::new();
        self.layouts.cell_names(name, ty, &mut cell_names);
        cell_names.resize(size as usize, format!("{name}.?"));
        let mut lock_cells = Vec::new();
        self.layouts.lock_cells(ty, 0, &mut lock_cells);
        if let Some(sc) = status_cell {
            // the status cell is named for traces, but belongs to no object
            self.status_names.push((sc, format!("{name}.<lifetime>")));
        }
        self.objects.push(Object {
            name: name.to_string(),
            base,
            size,
            cell_names,
            lock_cells,
            kind,
            status: status_cell,
        });
        base
    }
}

fn base_ty(name: &str) -> Ty {
    match name {
        "spinlock_t" | "raw_spinlock_t" => Ty::Lock(LockTy::Spin),
        "rwlock_t" => Ty::Lock(LockTy::Rw),
        "mutex" => Ty::Lock(LockTy::Mutex),
        "rw_semaphore" => Ty::Lock(LockTy::Rwsem),
        "seqcount_t" | "seqcount_spinlock_t" => Ty::Int,
        "atomic_t" | "atomic_long_t" | "atomic64_t" | "refcount_t" => Ty::Atomic,
        "srcu_struct" => Ty::Srcu,
        "void" => Ty::Void,
        _ => crate::ctypes::int_name(name).unwrap_or(Ty::Int),
    }
}

fn item_span(i: &ast::Item) -> Span {
    match i {
        ast::Item::Proc(p) => p.span,
        ast::Item::Func(f) => f.span,
        ast::Item::Struct(s) => s.span,
        ast::Item::Enum(e) => e.span,
        ast::Item::Typedef(t) => t.span,
        ast::Item::Global(g) => g.span,
        ast::Item::Handler(h) => h.span,
    }
}

/// An item's name in its C namespace: tags (`struct page`) and ordinary
/// identifiers (`page`) do not clash.
fn item_name(i: &ast::Item) -> Option<String> {
    match i {
        ast::Item::Func(f) => Some(f.name.clone()),
        ast::Item::Struct(s) => Some(format!("struct {}", s.name)),
        ast::Item::Typedef(t) => Some(t.name.clone()),
        ast::Item::Global(g) => Some(g.name.clone()),
        ast::Item::Enum(e) if !e.name.is_empty() => Some(format!("enum {}", e.name)),
        _ => None,
    }
}
