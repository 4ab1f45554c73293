//! Clean-up passes over the lowered program. Registers that no
//! instruction writes (litmus parameters such as `int *x`, bound once to
//! `&x`) are constants: their uses become immediates, so that memory
//! addresses are static wherever the source makes them so. The explorer's
//! partial-order reduction relies on that to know what a step touches.

use crate::program::*;

fn subst(o: &mut Opd, consts: &[Option<Val>]) {
    if let Opd::Reg(r) = *o {
        if let Some(Some(v)) = consts.get(r as usize) {
            *o = Opd::Imm(*v);
        }
    }
}

/// Replace reads of never-written registers by their initial values.
/// (`Instr::def` lists every instruction that writes a register, by an
/// exhaustive match: a missed one would freeze that register at its
/// initial value.)
pub fn fold_constant_registers(t: &mut Thread) {
    let mut consts: Vec<Option<Val>> = vec![Some(0); t.nregs as usize];
    for &(r, v) in &t.init_regs {
        if let Some(c) = consts.get_mut(r as usize) {
            *c = Some(v);
        }
    }
    // a handler's parameter (an IPI's info, an RCU callback's head) is
    // written when the handler fires
    for h in &t.handlers {
        if let Some(c) = h.arg.and_then(|r| consts.get_mut(r as usize)) {
            *c = None;
        }
    }
    for s in &t.body.steps {
        if let Some(r) = s.instr.def() {
            if let Some(c) = consts.get_mut(r as usize) {
                *c = None;
            }
        }
    }
    for s in &mut t.body.steps {
        s.instr.for_each_operand_mut(|o| subst(o, &consts));
    }
}
