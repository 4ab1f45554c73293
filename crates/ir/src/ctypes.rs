//! C's integer types (C11 6.2.5, 6.3.1; the kernel's include/linux/types.h
//! and include/uapi/asm-generic/int-ll64.h): which type names are unsigned
//! and how wide, the integer promotions and usual arithmetic conversions,
//! the conversion of a value to an unsigned type (reduction modulo 2^N),
//! and UBSAN's shift check (lib/ubsan.c, `__ubsan_handle_shift_out_of_bounds`).
//!
//! kvet's model: every cell holds 64 bits, and a value of a narrower type
//! is kept in its type's range. An unsigned value of N < 64 bits is kept
//! in 0..2^N; a 64-bit unsigned value is the cell's bit pattern, and its
//! comparisons and divisions use the unsigned operators. A signed value of
//! N < 64 bits (`signed char`, `short`, `int`) is kept sign-extended from
//! N bits, so `int` arithmetic wraps at 32 bits (the kernel builds with
//! -fno-strict-overflow) and `(int)0x80000000u` is negative; `long` is
//! the 64-bit signed type (`Ty::Int`). Plain `char` is unsigned, as the
//! kernel has built it on every architecture since v6.2 (top-level
//! Makefile: `-funsigned-char`). Conversions (C11 6.3.1.3) happen in one
//! place, [`Lowerer::convert`], which lowering calls wherever C converts:
//! assignment, initialisation, arguments, return values, casts, and the
//! result of arithmetic in a type narrower than 64 bits. A typedef name
//! kvet does not know is taken as `long`.

use crate::lower::Lowerer;
use crate::program::*;
use crate::types::Ty;

/// The type of an integer type name other than `long`'s (`None` for
/// `long`, its synonyms and names kvet does not know).
pub(crate) fn int_name(name: &str) -> Option<Ty> {
    Some(match name {
        "signed char" | "s8" | "__s8" | "int8_t" => Ty::SInt(8),
        "short" | "s16" | "__s16" | "int16_t" => Ty::SInt(16),
        "int" | "s32" | "__s32" | "int32_t" | "pid_t" | "__kernel_pid_t" => Ty::SInt(32),
        _ => return unsigned_name(name),
    })
}

/// The type of an integer type name, when it is an unsigned one.
pub(crate) fn unsigned_name(name: &str) -> Option<Ty> {
    Some(Ty::UInt(match name {
        "bool" | "_Bool" => 1,
        "char" | "unsigned char" | "u8" | "__u8" | "uint8_t" | "u_int8_t" => 8,
        "unsigned short" | "u16" | "__u16" | "uint16_t" | "u_int16_t" | "__le16" | "__be16" => 16,
        "unsigned int" | "u32" | "__u32" | "uint32_t" | "u_int32_t" | "uint" | "__le32" | "__be32" | "gfp_t"
        | "fmode_t" | "slab_flags_t" => 32,
        "unsigned long" | "unsigned long long" | "u64" | "__u64" | "uint64_t" | "u_int64_t" | "size_t" | "ulong"
        | "uintptr_t" | "__le64" | "__be64" | "sector_t" | "blkcnt_t" | "dma_addr_t" | "phys_addr_t"
        | "resource_size_t" => 64,
        _ => return None,
    }))
}

/// Is `t` a signed integer type (`long` or a narrower one)?
pub(crate) fn is_signed(t: &Ty) -> bool {
    matches!(t, Ty::Int | Ty::SInt(_))
}

/// Is `t` an integer type?
pub(crate) fn is_integer(t: &Ty) -> bool {
    matches!(t, Ty::Int | Ty::SInt(_) | Ty::UInt(_))
}

/// The integer promotions (C11 6.3.1.1p2): types narrower than int
/// become int. Other scalars (atomic counters, enums kvet keeps as
/// `long`) are `long`.
pub(crate) fn promote(t: &Ty) -> Ty {
    match t {
        Ty::UInt(w) | Ty::SInt(w) if *w < 32 => Ty::SInt(32),
        Ty::UInt(_) | Ty::SInt(_) => t.clone(),
        Ty::Ptr(_) | Ty::Array(..) => t.clone(),
        _ => Ty::Int,
    }
}

/// The width in bits of a promoted integer type.
fn width(t: &Ty) -> u8 {
    match t {
        Ty::UInt(w) | Ty::SInt(w) => *w,
        _ => 64,
    }
}

/// The usual arithmetic conversions (C11 6.3.1.8) of two integer
/// operands, for LP64 (int 32 bits, long 64).
pub(crate) fn common(a: &Ty, b: &Ty) -> Ty {
    let (a, b) = (promote(a), promote(b));
    let (wa, wb) = (width(&a), width(&b));
    match (is_signed(&a), is_signed(&b)) {
        (true, true) | (false, false) => {
            if wa >= wb {
                a
            } else {
                b
            }
        }
        // the unsigned type wins unless the signed one is wider (and so
        // holds all its values)
        (true, false) => {
            if wa > wb {
                a
            } else {
                b
            }
        }
        (false, true) => {
            if wb > wa {
                b
            } else {
                a
            }
        }
    }
}

/// Reduce a constant to type `t` (C11 6.3.1.2, 6.3.1.3p2, and p3 as GCC
/// defines it: modulo 2^N into the signed range).
pub(crate) fn convert_const(v: i64, t: &Ty) -> i64 {
    match t {
        Ty::UInt(1) => (v != 0) as i64,
        Ty::UInt(w) if *w < 64 => crate::eval::eval_un(UnOp::Zext(*w), v),
        Ty::SInt(w) if *w < 64 => crate::eval::eval_un(UnOp::Sext(*w), v),
        _ => v,
    }
}

/// The type of an unsuffixed decimal literal or character constant:
/// `int` if it holds the value, else `long` (C11 6.4.4.1p5; the parser
/// makes any other literal a cast to its type).
pub(crate) fn literal(v: i64) -> Ty {
    if i32::try_from(v).is_ok() {
        Ty::SInt(32)
    } else {
        Ty::Int
    }
}

/// The C name of a type in messages.
pub(crate) fn c_name(t: &Ty) -> &'static str {
    match t {
        Ty::UInt(1) => "bool",
        Ty::UInt(8) => "unsigned char",
        Ty::UInt(16) => "unsigned short",
        Ty::UInt(32) => "unsigned int",
        Ty::UInt(_) => "unsigned long",
        Ty::SInt(8) => "signed char",
        Ty::SInt(16) => "short",
        Ty::SInt(_) => "int",
        _ => "long",
    }
}

impl Lowerer<'_> {
    /// Convert a value to type `t`: to an unsigned type, reduce it modulo
    /// 2^N; to a narrower signed type, sign-extend its low N bits; to
    /// bool, compare with 0. Other conversions keep the value.
    pub(crate) fn convert(&mut self, v: Opd, t: &Ty) -> Opd {
        match (v, t) {
            (Opd::Imm(k), _) => Opd::Imm(convert_const(k, t)),
            (_, Ty::UInt(1)) => {
                let r = self.tmp();
                self.emit(Instr::Bin(r, BinOp::Ne, v, Opd::Imm(0)));
                Opd::Reg(r)
            }
            (_, Ty::UInt(w)) if *w < 64 => {
                let r = self.tmp();
                self.emit(Instr::Un(r, UnOp::Zext(*w), v));
                Opd::Reg(r)
            }
            (_, Ty::SInt(w)) if *w < 64 => {
                let r = self.tmp();
                self.emit(Instr::Un(r, UnOp::Sext(*w), v));
                Opd::Reg(r)
            }
            _ => v,
        }
    }

    /// UBSAN's shift check: the exponent must be below the width of the
    /// promoted left operand's type and not negative.
    pub(crate) fn shift_check(&mut self, count: Opd, left: &Ty, text: &str) {
        let width = width(&promote(left)) as i64;
        let msg = format!("shift-out-of-bounds in `{text}`: the shift exponent is negative or not below the width of the {width}-bit type '{}'", c_name(left));
        match count {
            Opd::Imm(k) if (0..width).contains(&k) => {}
            Opd::Imm(_) => self.emit(Instr::Assert(Opd::Imm(0), AssertKind::Ubsan, msg)),
            Opd::Reg(_) => {
                let ok = self.tmp();
                self.emit(Instr::Bin(ok, BinOp::LtU, count, Opd::Imm(width)));
                self.emit(Instr::Assert(Opd::Reg(ok), AssertKind::Ubsan, msg));
            }
        }
    }
}
