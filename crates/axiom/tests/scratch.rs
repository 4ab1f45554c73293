mod common;
use common::*;
use kvet_axiom::{Model, Tag};
#[test]
fn scratch() {
    let m = lkmm();
    for ex in [sb(None), sb(Some(Tag::MB)), mp(&[Tag::RELEASE], &[Tag::ACQUIRE], None, None)] {
        let t = std::time::Instant::now();
        let v = m.check(&ex);
        println!("{:?} {:?}", v, t.elapsed());
    }
}
