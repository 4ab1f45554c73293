//! C's integer types (C11 6.2.5, 6.3.1; the kernel's include/linux/types.h
//! and include/uapi/asm-generic/int-ll64.h): which type names are unsigned
//! and how wide, the integer promotions and usual arithmetic conversions,
//! the conversion of a value to an unsigned type (reduction modulo 2^N),
//! and UBSAN's shift check (lib/ubsan.c, `__ubsan_handle_shift_out_of_bounds`).
//!
//! kvet's model: every cell holds 64 bits. An unsigned value of N < 64 bits
//! is kept in 0..2^N; a 64-bit unsigned value is the cell's bit pattern,
//! and its comparisons and divisions use the unsigned operators. The signed
//! types are one type: a 64-bit signed cell that ranks as `int` in the
//! conversions (so `unsigned int` against `int` is unsigned, as in C; a
//! signed `long` against `unsigned int` is also taken as unsigned, where C
//! would make it signed). Signed narrowing casts do not truncate.

use crate::lower::Lowerer;
use crate::program::*;
use crate::types::Ty;

/// The type of an integer type name, when it is an unsigned one.
pub(crate) fn unsigned_name(name: &str) -> Option<Ty> {
    Some(Ty::UInt(match name {
        "bool" | "_Bool" => 1,
        "unsigned char" | "u8" | "__u8" | "uint8_t" | "u_int8_t" => 8,
        "unsigned short" | "u16" | "__u16" | "uint16_t" | "u_int16_t" | "__le16" | "__be16" => 16,
        "unsigned int" | "u32" | "__u32" | "uint32_t" | "u_int32_t" | "uint" | "__le32" | "__be32" | "gfp_t"
        | "fmode_t" | "slab_flags_t" => 32,
        "unsigned long" | "unsigned long long" | "u64" | "__u64" | "uint64_t" | "u_int64_t" | "size_t" | "ulong"
        | "uintptr_t" | "__le64" | "__be64" | "sector_t" | "blkcnt_t" | "dma_addr_t" | "phys_addr_t"
        | "resource_size_t" => 64,
        _ => return None,
    }))
}

/// The unsigned width of a type, if it is an unsigned integer type.
pub(crate) fn unsigned_bits(t: &Ty) -> Option<u8> {
    match t {
        Ty::UInt(w) => Some(*w),
        _ => None,
    }
}

/// The integer promotions (C11 6.3.1.1p2): types narrower than int
/// become int.
pub(crate) fn promote(t: &Ty) -> Ty {
    match t {
        Ty::UInt(w) if *w < 32 => Ty::Int,
        Ty::UInt(_) => t.clone(),
        Ty::Ptr(_) | Ty::Array(..) => t.clone(),
        _ => Ty::Int,
    }
}

/// The usual arithmetic conversions (C11 6.3.1.8) of two integer operands.
pub(crate) fn common(a: &Ty, b: &Ty) -> Ty {
    match (promote(a), promote(b)) {
        (Ty::UInt(x), Ty::UInt(y)) => Ty::UInt(x.max(y)),
        (Ty::UInt(x), _) | (_, Ty::UInt(x)) => Ty::UInt(x),
        _ => Ty::Int,
    }
}

/// Reduce a constant to type `t` (C11 6.3.1.2, 6.3.1.3p2).
pub(crate) fn convert_const(v: i64, t: &Ty) -> i64 {
    match t {
        Ty::UInt(1) => (v != 0) as i64,
        Ty::UInt(w) if *w < 64 => v & ((1i64 << w) - 1),
        _ => v,
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
        _ => "long",
    }
}

impl Lowerer<'_> {
    /// Convert a value to type `t`: to an unsigned type, reduce it modulo
    /// 2^N; to bool, compare with 0. Other conversions keep the value.
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
                self.emit(Instr::Bin(r, BinOp::And, v, Opd::Imm((1i64 << w) - 1)));
                Opd::Reg(r)
            }
            _ => v,
        }
    }

    /// UBSAN's shift check: the exponent must be below the width of the
    /// promoted left operand's type and not negative. Signed types count
    /// as 64 bits wide (kvet does not tell `int` from `long`).
    pub(crate) fn shift_check(&mut self, count: Opd, left: &Ty, text: &str) {
        let width = match unsigned_bits(left) {
            Some(w) if w >= 32 => w as i64,
            _ => 64,
        };
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
