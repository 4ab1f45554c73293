//! Evaluation of the IR's operators on 64-bit cells: the one definition
//! that lowering (constant folding), the explorer and the axiomatic
//! generator share. Signed operators wrap (two's complement, as the
//! kernel builds with -fno-strict-overflow); the `U` forms treat the cell
//! as an unsigned 64-bit value (C11 6.3.1.8: the usual arithmetic
//! conversions make a comparison or division unsigned when an operand is).

use crate::program::{is_pointer, BinOp, UnOp};

/// Evaluate a binary operator; `None` for division by zero.
pub fn eval_bin(op: BinOp, a: i64, b: i64) -> Option<i64> {
    let (ua, ub) = (a as u64, b as u64);
    Some(match op {
        BinOp::Add => a.wrapping_add(b),
        BinOp::Sub => a.wrapping_sub(b),
        BinOp::Mul => a.wrapping_mul(b),
        BinOp::Div => a.checked_div(b).or_else(|| (b == -1).then_some(a.wrapping_neg()))?,
        BinOp::Rem => a.checked_rem(b).or_else(|| (b == -1).then_some(0))?,
        BinOp::DivU => ua.checked_div(ub)? as i64,
        BinOp::RemU => ua.checked_rem(ub)? as i64,
        BinOp::Shl => a.wrapping_shl(b as u32),
        BinOp::Shr => (ua.wrapping_shr(b as u32)) as i64,
        BinOp::Sar => a.wrapping_shr(b as u32),
        BinOp::And => a & b,
        BinOp::Or => a | b,
        BinOp::Xor => a ^ b,
        BinOp::AndNot => a & !b,
        BinOp::Eq => (a == b) as i64,
        BinOp::Ne => (a != b) as i64,
        BinOp::Lt => (a < b) as i64,
        BinOp::Le => (a <= b) as i64,
        BinOp::Gt => (a > b) as i64,
        BinOp::Ge => (a >= b) as i64,
        BinOp::LtU => (ua < ub) as i64,
        BinOp::LeU => (ua <= ub) as i64,
        BinOp::GtU => (ua > ub) as i64,
        BinOp::GeU => (ua >= ub) as i64,
    })
}

/// Evaluate a unary operator (`-a` wraps; `!a` is 1 or 0).
pub fn eval_un(op: UnOp, a: i64) -> i64 {
    match op {
        UnOp::Neg => a.wrapping_neg(),
        UnOp::Not => (a == 0) as i64,
        UnOp::BitNot => !a,
        // A pointer converted to an integer type and back is the same
        // pointer here: herd7's litmus tests keep pointers in `int`
        // registers, and kernel code converts them only through
        // `unsigned long`, which keeps every bit anyway.
        UnOp::Sext(_) | UnOp::Zext(_) if is_pointer(a) => a,
        UnOp::Sext(w) => sign_extend(a, w),
        UnOp::Zext(w) if w < 64 => a & ((1i64 << w) - 1),
        UnOp::Zext(_) => a,
    }
}

/// The value of the low `w` bits of `v` as a `w`-bit signed number
/// (two's complement); `v` itself for 64 bits or more.
pub fn sign_extend(v: i64, w: u8) -> i64 {
    if w == 0 || w >= 64 {
        return v;
    }
    let s = 64 - w as u32;
    (v << s) >> s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_forms() {
        assert_eq!(eval_bin(BinOp::LtU, -1, 1), Some(0));
        assert_eq!(eval_bin(BinOp::Lt, -1, 1), Some(1));
        assert_eq!(eval_bin(BinOp::GeU, -4095, 1 << 40), Some(1));
        assert_eq!(eval_bin(BinOp::DivU, -2, 2), Some(i64::MAX));
        assert_eq!(eval_bin(BinOp::Div, i64::MIN, -1), Some(i64::MIN));
        assert_eq!(eval_bin(BinOp::DivU, 1, 0), None);
        assert_eq!(eval_bin(BinOp::Sar, -8, 1), Some(-4));
        assert_eq!(eval_un(UnOp::Sext(8), 300), 44);
        assert_eq!(eval_un(UnOp::Sext(8), 200), -56);
        assert_eq!(eval_un(UnOp::Sext(32), 0x8000_0000), -0x8000_0000);
        assert_eq!(eval_un(UnOp::Sext(32), i32::MAX as i64 + 1), i32::MIN as i64);
    }
}
