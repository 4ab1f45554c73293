//! The kernel's assertions as primitives: BUG_ON, WARN_ON and their
//! forms, and BUG() (include/asm-generic/bug.h); a WARN_ON's value is its
//! condition.

use super::*;

pub(super) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    let r = match name {
        "BUG_ON" | "WARN_ON" | "WARN_ON_ONCE" | "assert" | "WARN" | "WARN_ONCE" | "VM_BUG_ON" | "VM_WARN_ON"
        | "BUILD_BUG_ON" => {
            if args.is_empty() {
                return Err(Error::new(e.span, format!("`{name}` takes a condition")));
            }
            let claim = lw.snippet(args[0].span);
            let (c, _) = lw.rvalue(&args[0])?;
            let kind = match name {
                "BUG_ON" | "VM_BUG_ON" | "BUILD_BUG_ON" => AssertKind::Bug,
                "assert" => AssertKind::Assert,
                _ => AssertKind::Warn,
            };
            let msg = format!("{name}({claim})");
            if kind == AssertKind::Assert {
                lw.emit_text(Instr::Assert(c, kind, msg.clone()), msg);
                (Opd::Imm(0), Ty::Void)
            } else {
                // the condition must be false
                let ok = lw.tmp();
                lw.emit(Instr::Bin(ok, BinOp::Eq, c, Opd::Imm(0)));
                lw.emit_text(Instr::Assert(Opd::Reg(ok), kind, msg.clone()), msg);
                let v = lw.tmp();
                lw.emit(Instr::Bin(v, BinOp::Ne, c, Opd::Imm(0)));
                (Opd::Reg(v), Ty::Int)
            }
        }
        "BUG" => {
            lw.emit_text(Instr::Assert(Opd::Imm(0), AssertKind::Bug, "BUG()".into()), "BUG()".into());
            (Opd::Imm(0), Ty::Void)
        }
        _ => return Ok(None),
    };
    Ok(Some(r))
}
