//! lockdep's irq-usage rules (kernel/locking/lockdep.c, lockdep_states.h):
//! each lock class collects usage bits — used in a hardirq (softirq)
//! handler, held with hardirqs (softirqs) enabled — separately for write
//! (exclusive) and read acquisitions. `mark_lock_irq()` rejects a new bit
//! whose exclusive bit (`exclusive_bit()`: the other direction, same irq
//! state) is set; a write bit is also checked against the read form of its
//! exclusive bit ("read in write conflicts"), a read bit only against the
//! write form. So a lock read-held in a hardirq and write-held elsewhere
//! with hardirqs on is an inconsistent lock state (the tasklist_lock rule),
//! while read-held in a hardirq and read-held with hardirqs on is not: a
//! reader in interrupt context passes a waiting writer (qrwlock.c).

/// Usage bits (LOCK_USED_IN_HARDIRQ, LOCK_ENABLED_HARDIRQ, ... and their
/// _READ forms).
pub(crate) const IN_HARDIRQ: i64 = 1;
pub(crate) const HARDIRQ_ON: i64 = 2;
pub(crate) const IN_SOFTIRQ: i64 = 4;
pub(crate) const SOFTIRQ_ON: i64 = 8;
pub(crate) const IN_HARDIRQ_R: i64 = 16;
pub(crate) const HARDIRQ_ON_R: i64 = 32;
pub(crate) const IN_SOFTIRQ_R: i64 = 64;
pub(crate) const SOFTIRQ_ON_R: i64 = 128;

/// The read form of a set of write usage bits.
pub(crate) fn read_form(u: i64) -> i64 {
    u << 4
}

/// lockdep's name of a usage bit (`usage_str[]`).
fn name(bit: i64) -> &'static str {
    match bit {
        IN_HARDIRQ => "IN-HARDIRQ-W",
        HARDIRQ_ON => "HARDIRQ-ON-W",
        IN_SOFTIRQ => "IN-SOFTIRQ-W",
        SOFTIRQ_ON => "SOFTIRQ-ON-W",
        IN_HARDIRQ_R => "IN-HARDIRQ-R",
        HARDIRQ_ON_R => "HARDIRQ-ON-R",
        IN_SOFTIRQ_R => "IN-SOFTIRQ-R",
        _ => "SOFTIRQ-ON-R",
    }
}

/// The first conflicting pair of usage bits in `u` that involves a bit of
/// `new`, as (in-handler bit, irqs-enabled bit): a write use against a
/// write or read one, or a read use against a write one.
pub(crate) fn conflict(u: i64, new: i64) -> Option<(i64, i64)> {
    const PAIRS: [(i64, i64); 6] = [
        (IN_HARDIRQ, HARDIRQ_ON),
        (IN_SOFTIRQ, SOFTIRQ_ON),
        (IN_HARDIRQ, HARDIRQ_ON_R),
        (IN_HARDIRQ_R, HARDIRQ_ON),
        (IN_SOFTIRQ, SOFTIRQ_ON_R),
        (IN_SOFTIRQ_R, SOFTIRQ_ON),
    ];
    PAIRS.into_iter().find(|&(a, b)| u & a != 0 && u & b != 0 && new & (a | b) != 0)
}

/// lockdep's report of a conflict, in its words (print_usage_bug()).
pub(crate) fn message(pair: (i64, i64), lock: &str, holder: Holder) -> String {
    let (a, b) = pair;
    let (irq, why) = if a & (IN_HARDIRQ | IN_HARDIRQ_R) != 0 {
        ("a hardirq handler", "interrupts enabled")
    } else {
        ("a softirq", "softirqs enabled")
    };
    let verb = |bit: i64| {
        if bit & (IN_HARDIRQ_R | HARDIRQ_ON_R | IN_SOFTIRQ_R | SOFTIRQ_ON_R) != 0 {
            "read-held"
        } else {
            "held"
        }
    };
    let (irq_cpu, on) = match holder {
        Holder::Now(cpu) => (String::new(), format!("on CPU{cpu}")),
        Holder::Earlier(h) => (format!(" on CPU{h}"), "earlier in the trace".to_string()),
    };
    if pair == (IN_HARDIRQ, HARDIRQ_ON) {
        return match holder {
            Holder::Now(cpu) => format!(
                "inconsistent {{IN-HARDIRQ-W}} -> {{HARDIRQ-ON-W}} usage: {lock} is taken in a hardirq handler and is also held with interrupts enabled on CPU{cpu}: an interrupt on that CPU can spin on it forever"
            ),
            // the replay names the holder (explore/src/trace.rs)
            Holder::Earlier(h) => format!(
                "inconsistent {{IN-HARDIRQ-W}} -> {{HARDIRQ-ON-W}} usage: {lock} is taken in a hardirq handler on CPU{h} and was also held with interrupts enabled earlier in the trace: an interrupt on the holder's CPU can spin on it forever"
            ),
        };
    }
    if pair == (IN_SOFTIRQ, SOFTIRQ_ON) {
        return format!("inconsistent {{IN-SOFTIRQ-W}} -> {{SOFTIRQ-ON-W}} usage: {lock} is taken in a softirq{irq_cpu} and also with softirqs enabled {on}");
    }
    format!(
        "inconsistent {{{}}} -> {{{}}} usage: {lock} is {} in {irq}{irq_cpu} and {} with {why} {on}",
        name(a),
        name(b),
        verb(a),
        verb(b)
    )
}

/// Who held the lock with interrupts (or softirqs) on, for [`message`]:
/// the CPU that does so at this step, or an earlier one while the
/// handler on CPU `h` takes it now (the state records no holder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Holder {
    Now(usize),
    Earlier(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_rules() {
        // read in a hardirq, read with irqs on: fine (recursive readers)
        assert_eq!(conflict(IN_HARDIRQ_R | HARDIRQ_ON_R, HARDIRQ_ON_R), None);
        // read in a hardirq, write with irqs on: the tasklist_lock rule
        assert_eq!(conflict(IN_HARDIRQ_R | HARDIRQ_ON, HARDIRQ_ON), Some((IN_HARDIRQ_R, HARDIRQ_ON)));
        // write in a hardirq, read with irqs on
        assert_eq!(conflict(IN_HARDIRQ | HARDIRQ_ON_R, IN_HARDIRQ), Some((IN_HARDIRQ, HARDIRQ_ON_R)));
        assert_eq!(read_form(IN_HARDIRQ | SOFTIRQ_ON), IN_HARDIRQ_R | SOFTIRQ_ON_R);
    }
}
