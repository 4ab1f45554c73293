//! Semantic types and memory layout: how many cells a type occupies and
//! where each struct field lives. One cell holds one scalar, pointer or
//! lock word; a struct is its fields laid out in order; an array is its
//! elements; a union overlays its fields at offset 0.

use kvet_syntax::{Error, Span};
use rustc_hash::FxHashMap;

/// The kind of lock a lock-typed cell holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockTy {
    /// spinlock_t, raw_spinlock_t
    Spin,
    /// rwlock_t
    Rw,
    /// struct mutex
    Mutex,
    /// struct rw_semaphore
    Rwsem,
}

/// The most cells (scalars) one object may have.
pub const MAX_OBJECT_CELLS: u32 = 1 << 20;

/// The most cells a whole program's memory may have.
pub const MAX_PROGRAM_CELLS: usize = 1 << 22;

/// The type of a value or object, as lowering resolves C's types: what it reads, how many cells it
/// takes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    /// `void`: no value (a function's return, or the pointee of `void *`).
    Void,
    /// `long` and the 64-bit signed types (s64, ssize_t, ...), and the
    /// type of names kvet does not know (see ctypes.rs).
    Int,
    /// A signed integer type of this many bits: `signed char` (8),
    /// `short` (16), `int` (32); values are kept sign-extended.
    SInt(u8),
    /// An unsigned integer type of this many bits (8, 16, 32, 64), or
    /// `bool` (1): values are kept reduced to the width (ctypes.rs).
    UInt(u8),
    /// atomic_t, atomic_long_t, atomic64_t, refcount_t: one cell with an
    /// implicit `counter` field.
    Atomic,
    /// A lock word of this kind (spinlock_t, rwlock_t, struct mutex, struct rw_semaphore).
    Lock(LockTy),
    /// srcu_struct: a cell for its value, then per task the reader's
    /// nesting depth and critical-section generation.
    Srcu,
    /// A pointer to this type (arithmetic on it scales by its size).
    Ptr(Box<Ty>),
    /// A struct or union, by its index in the layouts.
    Struct(u32),
    /// An array of this many elements of this type, laid out flat.
    Array(Box<Ty>, u32),
    /// A function with its parameter count (only behind a pointer).
    Func(u32),
}

impl Ty {
    /// The pointer type to this type.
    pub fn ptr(self) -> Ty {
        Ty::Ptr(Box::new(self))
    }

    /// What a pointer or array designates (its element type for an array).
    pub fn pointee(&self) -> Option<&Ty> {
        match self {
            Ty::Ptr(t) => Some(t),
            Ty::Array(t, _) => Some(t),
            _ => None,
        }
    }

    /// Whether a value of this type fits one cell (integers, atomics, pointers, locks).
    pub fn is_scalar(&self) -> bool {
        matches!(self, Ty::Int | Ty::SInt(_) | Ty::UInt(_) | Ty::Atomic | Ty::Ptr(_) | Ty::Lock(_))
    }
}

#[derive(Clone, Debug)]
pub struct FieldInfo {
    pub name: String,
    pub ty: Ty,
    pub offset: u32,
}

#[derive(Clone, Debug)]
pub struct StructInfo {
    pub name: String,
    pub fields: Vec<FieldInfo>,
    pub size: u32,
    /// Declared but not (yet) defined.
    pub complete: bool,
}

/// All struct/union layouts of one program.
#[derive(Default, Debug)]
pub struct Layouts {
    /// Cells of one srcu_struct: 1 + 2 per task.
    pub srcu_size: u32,
    pub structs: Vec<StructInfo>,
    pub by_name: FxHashMap<String, u32>,
}

impl Layouts {
    /// The id of `struct name`, creating an incomplete entry if unknown.
    pub fn struct_id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.by_name.get(name) {
            return id;
        }
        let id = self.structs.len() as u32;
        self.structs.push(StructInfo { name: name.to_string(), fields: Vec::new(), size: 0, complete: false });
        self.by_name.insert(name.to_string(), id);
        id
    }

    pub fn size_of(&self, ty: &Ty, span: Span) -> Result<u32, Error> {
        Ok(match ty {
            Ty::Void => 1,
            Ty::Int | Ty::SInt(_) | Ty::UInt(_) | Ty::Atomic | Ty::Lock(_) | Ty::Ptr(_) => 1,
            Ty::Srcu => self.srcu_size.max(1),
            Ty::Func(_) => 1,
            Ty::Struct(id) => {
                let s = &self.structs[*id as usize];
                if !s.complete {
                    return Err(Error::new(span, format!("struct {} is used but never defined", s.name)));
                }
                s.size.max(1)
            }
            Ty::Array(t, n) => self.size_of(t, span)?.saturating_mul(*n),
        })
        .and_then(|n| {
            if n > MAX_OBJECT_CELLS {
                return Err(Error::new(
                    span,
                    if n == u32::MAX {
                        "this object is too large: over 4 billion cells".to_string()
                    } else {
                        format!("this object is too large: {n} cells")
                    },
                )
                .with_label("too large")
                .with_note(format!("kvet models at most {MAX_OBJECT_CELLS} cells (scalars) per object")));
            }
            Ok(n)
        })
    }

    /// The field `name` of struct `id`, looked up through anonymous
    /// struct and union members (C11 6.7.2.1p13) with their offsets added.
    pub fn field(&self, id: u32, name: &str) -> Option<FieldInfo> {
        let s = &self.structs[id as usize];
        if let Some(f) = s.fields.iter().find(|f| f.name == name) {
            return Some(f.clone());
        }
        s.fields.iter().filter(|f| f.name.is_empty()).find_map(|anon| {
            let Ty::Struct(inner) = anon.ty else { return None };
            let f = self.field(inner, name)?;
            Some(FieldInfo { offset: f.offset + anon.offset, ..f })
        })
    }

    /// A designated initializer `.name = v` of struct `id`: the index of
    /// the member it belongs to (an anonymous member holding it, or the
    /// field itself) and the field with its offset in the struct.
    pub fn designated(&self, id: u32, name: &str) -> Option<(usize, FieldInfo)> {
        let s = &self.structs[id as usize];
        if let Some(i) = s.fields.iter().position(|f| f.name == name) {
            return Some((i, s.fields[i].clone()));
        }
        s.fields.iter().enumerate().filter(|(_, f)| f.name.is_empty()).find_map(|(i, anon)| {
            let Ty::Struct(inner) = anon.ty else { return None };
            let f = self.field(inner, name)?;
            Some((i, FieldInfo { offset: f.offset + anon.offset, ..f }))
        })
    }

    /// Names of each cell of a value of type `ty` called `base`
    /// (`s.f`, `a[1]`, `s.l.next`), used for traces and outcomes.
    pub fn cell_names(&self, base: &str, ty: &Ty, out: &mut Vec<String>) {
        match ty {
            Ty::Struct(id) => {
                let s = &self.structs[*id as usize];
                let start = out.len();
                for f in &s.fields {
                    // unions overlay: only name the first field at each offset
                    if out.len() - start > f.offset as usize {
                        continue;
                    }
                    while out.len() - start < f.offset as usize {
                        out.push(format!("{base}.?"));
                    }
                    let name = if f.name.is_empty() { base.to_string() } else { format!("{base}.{}", f.name) };
                    self.cell_names(&name, &f.ty, out);
                }
                while out.len() - start < s.size.max(1) as usize {
                    out.push(format!("{base}.?"));
                }
            }
            Ty::Array(t, n) => {
                for i in 0..*n {
                    self.cell_names(&format!("{base}[{i}]"), t, out);
                }
            }
            _ => out.push(base.to_string()),
        }
    }

    /// Offsets of lock cells inside a value of type `ty`.
    pub fn lock_cells(&self, ty: &Ty, at: u32, out: &mut Vec<(u32, LockTy)>) {
        match ty {
            Ty::Lock(k) => out.push((at, *k)),
            Ty::Struct(id) => {
                for f in &self.structs[*id as usize].fields {
                    self.lock_cells(&f.ty, at + f.offset, out);
                }
            }
            Ty::Array(t, n) => {
                let sz = self.size_of(t, Span::default()).unwrap_or(1);
                for i in 0..*n {
                    self.lock_cells(t, at + i * sz, out);
                }
            }
            _ => {}
        }
    }
}
