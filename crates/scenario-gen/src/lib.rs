//! A structure-aware generator of kvet scenarios, for fuzzing
//! (`fuzz/`, cargo-fuzz with libFuzzer's bytes) and for the property
//! tests of the normal suite (proptest's bytes): any byte string becomes
//! a scenario that looks like kernel code, with the shapes that byte-level
//! mutation rarely reaches — gotos (to labels of the same function, of
//! another function, or of none), interrupt handlers (for CPUs that exist
//! or not), deep nesting of blocks and expressions, odd CPU counts, locks
//! taken and released in any order, heap objects, RCU, and a final
//! condition.
//!
//! The output is mostly valid and sometimes subtly not: the front end must
//! either accept it or refuse it with a located error, and the engines
//! must never panic on what it accepts.

pub mod scaled;

use arbitrary::{Result, Unstructured};
use std::fmt::Write as _;

/// Knobs for the generator.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most processes (CPUs).
    pub max_cpus: u32,
    /// Most statements per body.
    pub max_stmts: u32,
    /// Deepest nesting of statements and expressions the generator aims
    /// for (it may exceed the front end's own limits, on purpose).
    pub max_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_cpus: 4, max_stmts: 8, max_depth: 6 }
    }
}

const INTS: [&str; 3] = ["x", "y", "z"];
const LOCKS: [&str; 2] = ["la", "lb"];

struct Gen<'a, 'b> {
    u: &'a mut Unstructured<'b>,
    lim: Limits,
    out: String,
    /// Labels defined in the function being written.
    labels: Vec<String>,
    /// Locals declared in the function being written.
    locals: Vec<String>,
    /// Helper functions written so far (callable ones).
    helpers: Vec<String>,
    depth: u32,
    label_seq: u32,
}

/// A scenario from `u`'s bytes.
pub fn scenario(u: &mut Unstructured, lim: Limits) -> Result<String> {
    let mut g = Gen {
        u,
        lim,
        out: String::new(),
        labels: Vec::new(),
        locals: Vec::new(),
        helpers: Vec::new(),
        depth: 0,
        label_seq: 0,
    };
    g.file()?;
    Ok(g.out)
}

impl Gen<'_, '_> {
    fn pick<'s>(&mut self, xs: &[&'s str]) -> Result<&'s str> {
        Ok(xs[self.u.choose_index(xs.len())?])
    }

    fn chance(&mut self, percent: u8) -> Result<bool> {
        Ok(self.u.int_in_range(0u8..=99)? < percent)
    }

    fn file(&mut self) -> Result<()> {
        // mostly 1-4 CPUs; sometimes the edges of what kvet models
        let ncpu = match self.u.int_in_range(0u8..=19)? {
            0 => 0,
            1 => 63,
            2 => 64,
            _ => self.u.int_in_range(1..=self.lim.max_cpus.max(1))?,
        };
        self.out.push_str("C fuzz\n{}\n\n");
        for v in INTS {
            let _ = writeln!(self.out, "int {v};");
        }
        self.out.push_str("int arr[4];\nstruct obj { int a; int b; struct rcu_head rcu; };\nstruct obj *gp;\n");
        for l in LOCKS {
            let _ = writeln!(self.out, "spinlock_t {l};");
        }
        self.out.push('\n');
        let nhelpers = self.u.int_in_range(0u8..=2)?;
        for i in 0..nhelpers {
            self.helper(i)?;
        }
        // many CPUs: keep the bodies tiny, the point is the count
        let tiny = ncpu > 8;
        for p in 0..ncpu {
            self.function(&format!("P{p}(void)"), tiny)?;
        }
        let nhandlers = self.u.int_in_range(0u8..=2)?;
        for h in 0..nhandlers {
            let cpu = if self.chance(15)? {
                ncpu + self.u.int_in_range(0..=3)?
            } else {
                self.u.int_in_range(0..=ncpu.saturating_sub(1))?
            };
            let kind = if self.chance(50)? { "IRQ" } else { "SOFTIRQ" };
            self.function(&format!("{kind}({cpu}) void handler{h}(void)"), true)?;
        }
        if self.chance(40)? && ncpu > 0 {
            let v = self.pick(&INTS)?;
            let n = self.u.int_in_range(0..=3)?;
            let _ = writeln!(self.out, "\nexists ({v}={n})");
        }
        Ok(())
    }

    fn helper(&mut self, i: u8) -> Result<()> {
        let name = format!("helper{i}");
        self.function(&format!("static void {name}(int *p)"), false)?;
        self.helpers.push(name);
        Ok(())
    }

    fn function(&mut self, head: &str, tiny: bool) -> Result<()> {
        self.labels.clear();
        self.locals.clear();
        let _ = writeln!(self.out, "{head}\n{{");
        self.out.push_str("\tint r0 = 0;\n\tint r1 = 0;\n");
        self.locals.extend(["r0".to_string(), "r1".to_string()]);
        let n = if tiny { 1 } else { self.u.int_in_range(1..=self.lim.max_stmts.max(1))? };
        for _ in 0..n {
            self.stmt(1)?;
        }
        // a label that gotos may target, placed at the end
        if self.chance(30)? {
            let l = self.new_label();
            let _ = writeln!(self.out, "{l}:\n\t;");
        }
        self.out.push_str("}\n\n");
        Ok(())
    }

    fn new_label(&mut self) -> String {
        self.label_seq += 1;
        let l = format!("out{}", self.label_seq);
        self.labels.push(l.clone());
        l
    }

    fn indent(&mut self, d: u32) {
        for _ in 0..d.min(40) {
            self.out.push('\t');
        }
    }

    fn stmt(&mut self, d: u32) -> Result<()> {
        self.depth = d;
        let nest_ok = d < self.lim.max_depth;
        let k = self.u.int_in_range(0u8..=22)?;
        self.indent(d);
        match k {
            0 | 1 => {
                let v = self.pick(&INTS)?;
                let e = self.expr(0)?;
                let _ = writeln!(self.out, "WRITE_ONCE({v}, {e});");
            }
            2 | 3 => {
                let r = self.pick(&["r0", "r1"])?;
                let v = self.pick(&INTS)?;
                let _ = writeln!(self.out, "{r} = READ_ONCE({v});");
            }
            4 => {
                let l = self.pick(&LOCKS)?;
                let v = self.pick(&INTS)?;
                let form = self.pick(&["", "_irq", "_bh"])?;
                let _ = writeln!(self.out, "spin_lock{form}(&{l}); {v} = {v} + 1; spin_unlock{form}(&{l});");
            }
            5 => {
                // a lock left held, or released twice: lock misuse findings
                let l = self.pick(&LOCKS)?;
                let op = self.pick(&["spin_lock", "spin_unlock"])?;
                let _ = writeln!(self.out, "{op}(&{l});");
            }
            6 => {
                let f = self.pick(&["smp_mb()", "smp_wmb()", "smp_rmb()", "barrier()", "cpu_relax()"])?;
                let _ = writeln!(self.out, "{f};");
            }
            7 => {
                let v = self.pick(&INTS)?;
                let op = self.pick(&["atomic_inc", "xchg", "cmpxchg", "smp_store_release", "smp_load_acquire"])?;
                let _ = match op {
                    "atomic_inc" => writeln!(self.out, "r0 = xchg(&{v}, r0 + 1);"),
                    "xchg" => writeln!(self.out, "r1 = xchg(&{v}, 2);"),
                    "cmpxchg" => writeln!(self.out, "r0 = cmpxchg(&{v}, 0, 1);"),
                    "smp_store_release" => writeln!(self.out, "smp_store_release(&{v}, r1);"),
                    _ => writeln!(self.out, "r1 = smp_load_acquire(&{v});"),
                };
            }
            8 if nest_ok => {
                let c = self.expr(0)?;
                let _ = writeln!(self.out, "if ({c}) {{");
                self.block(d + 1)?;
                self.indent(d);
                if self.chance(40)? {
                    self.out.push_str("} else {\n");
                    self.block(d + 1)?;
                    self.indent(d);
                }
                self.out.push_str("}\n");
            }
            9 if nest_ok => {
                let n = self.u.int_in_range(0..=3)?;
                let _ = writeln!(self.out, "for (int i{d} = 0; i{d} < {n}; i{d}++) {{");
                self.block(d + 1)?;
                self.indent(d);
                self.out.push_str("}\n");
            }
            10 if nest_ok => {
                // a polling wait on a flag
                let v = self.pick(&INTS)?;
                let _ = writeln!(self.out, "while (!READ_ONCE({v})) {{ cpu_relax(); if (READ_ONCE(arr[0])) break; }}");
            }
            11 => {
                // goto: to a label of this function (defined or not yet),
                // one that exists elsewhere, or none
                let target = match self.u.int_in_range(0u8..=3)? {
                    0 if !self.labels.is_empty() => self.labels[self.u.choose_index(self.labels.len())?].clone(),
                    1 => "nowhere".to_string(),
                    _ => {
                        let l = self.new_label();
                        let _ = writeln!(self.out, "goto {l};");
                        self.indent(d);
                        let _ = writeln!(self.out, "WRITE_ONCE(arr[1], 1);");
                        self.indent(d);
                        let _ = writeln!(self.out, "{l}:");
                        self.indent(d);
                        self.out.push_str(";\n");
                        return Ok(());
                    }
                };
                let _ = writeln!(self.out, "if (READ_ONCE(arr[2])) goto {target};");
            }
            12 if !self.helpers.is_empty() => {
                let h = self.helpers[self.u.choose_index(self.helpers.len())?].clone();
                let v = self.pick(&INTS)?;
                let _ = writeln!(self.out, "{h}(&{v});");
            }
            13 => {
                self.out.push_str("{ struct obj *o = kmalloc(sizeof(*o), GFP_KERNEL); if (o) { WRITE_ONCE(o->a, 1); rcu_assign_pointer(gp, o); } }\n");
            }
            14 => {
                self.out.push_str("rcu_read_lock(); { struct obj *o = rcu_dereference(gp); if (o) r0 = READ_ONCE(o->a); } rcu_read_unlock();\n");
            }
            15 => {
                let f = self.pick(&["kfree", "kfree_rcu_obj", "synchronize_rcu"])?;
                let _ = match f {
                    "kfree" => writeln!(self.out, "{{ struct obj *o = xchg(&gp, NULL); kfree(o); }}"),
                    "kfree_rcu_obj" => {
                        writeln!(self.out, "{{ struct obj *o = xchg(&gp, NULL); if (o) kfree_rcu(o, rcu); }}")
                    }
                    _ => writeln!(self.out, "synchronize_rcu();"),
                };
            }
            16 => {
                let c = self.expr(0)?;
                let kind = self.pick(&["BUG_ON", "WARN_ON", "assert"])?;
                let _ = writeln!(self.out, "{kind}({c});");
            }
            17 => {
                let f = self.pick(&[
                    "local_irq_disable(); local_irq_enable();",
                    "local_bh_disable(); local_bh_enable();",
                    "{ unsigned long flags; local_irq_save(flags); local_irq_restore(flags); }",
                ])?;
                let _ = writeln!(self.out, "{f}");
            }
            18 => {
                // an expression far deeper than the others
                let depth = self.u.int_in_range(1..=300)?;
                let _ = writeln!(self.out, "r0 = {}1{};", "(".repeat(depth), ")".repeat(depth));
            }
            19 => {
                let v = self.pick(&INTS)?;
                let n = self.u.int_in_range(0..=2000)?;
                let _ = writeln!(self.out, "r1 = r1{};  WRITE_ONCE({v}, r1);", " + 1".repeat(n as usize));
            }
            20 if nest_ok => {
                let c = self.expr(0)?;
                let _ =
                    writeln!(self.out, "switch ({c}) {{ case 0: r0 = 1; break; case 1: r1 = 2; default: r0 = r1; }}");
            }
            21 => {
                let i = self.u.int_in_range(-1i64..=5)?;
                let _ = writeln!(self.out, "r0 = READ_ONCE(arr[{i}]);");
            }
            _ => {
                let r = self.pick(&["r0", "r1"])?;
                let e = self.expr(0)?;
                let _ = writeln!(self.out, "{r} = {e};");
            }
        }
        Ok(())
    }

    fn block(&mut self, d: u32) -> Result<()> {
        let n = self.u.int_in_range(1..=3)?;
        for _ in 0..n {
            self.stmt(d)?;
        }
        Ok(())
    }

    fn expr(&mut self, d: u32) -> Result<String> {
        if d >= self.lim.max_depth || self.chance(35)? {
            return self.atom();
        }
        Ok(match self.u.int_in_range(0u8..=4)? {
            0 => {
                let op = self
                    .pick(&["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "==", "!=", "<", ">=", "&&", "||"])?;
                format!("({} {op} {})", self.expr(d + 1)?, self.expr(d + 1)?)
            }
            1 => {
                let op = self.pick(&["-", "!", "~"])?;
                format!("{op}{}", self.expr(d + 1)?)
            }
            2 => format!("({} ? {} : {})", self.expr(d + 1)?, self.expr(d + 1)?, self.expr(d + 1)?),
            3 => {
                let v = self.pick(&INTS)?;
                format!("READ_ONCE({v})")
            }
            _ => self.atom()?,
        })
    }

    fn atom(&mut self) -> Result<String> {
        Ok(match self.u.int_in_range(0u8..=5)? {
            0 => self.u.int_in_range(-3i64..=3)?.to_string(),
            1 => self.pick(&["0x7fffffffffffffff", "-9223372036854775807 - 1", "64", "63"])?.to_string(),
            2 if !self.locals.is_empty() => self.locals[self.u.choose_index(self.locals.len())?].clone(),
            3 => self.pick(&INTS)?.to_string(),
            _ => "r1".to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_same_scenario() {
        let bytes: Vec<u8> = (0..2048u32).map(|i| (i * 7919 % 251) as u8).collect();
        let a = scenario(&mut Unstructured::new(&bytes), Limits::default()).unwrap();
        let b = scenario(&mut Unstructured::new(&bytes), Limits::default()).unwrap();
        assert_eq!(a, b);
        assert!(a.starts_with("C fuzz"));
    }
}
