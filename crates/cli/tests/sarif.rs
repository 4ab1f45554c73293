//! `kvet check --sarif` on seed 001 (the tasklist_lock/IPI deadlock),
//! read back through the typed SARIF 2.1.0 model of the `serde-sarif`
//! crate: the document must deserialize, and serializing the model again
//! must give the same document (nothing kvet wrote is unknown to SARIF
//! or of the wrong type).

use serde_json::Value;

#[test]
fn seed_001_sarif_is_sarif_2_1_0() {
    let dir = std::env::temp_dir().join(format!("kvet-sarif-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("001.sarif");
    let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/seeds/001-tasklist-ipi/buggy.kvet");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kvet"))
        .args(["check", seed, "--sarif"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = std::fs::read_to_string(&out).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let typed: serde_sarif::sarif::Sarif = serde_json::from_str(&text).expect("a SARIF 2.1.0 log");
    let again = serde_json::to_value(&typed).unwrap();
    assert_eq!(again, doc, "the SARIF model keeps every field kvet wrote");

    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "kvet");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let r = &results[0];
    assert_eq!(r["ruleId"], "deadlock");
    assert_eq!(r["level"], "error");
    assert!(r["message"]["text"].as_str().unwrap().starts_with("deadlock: CPU0 waits in write_lock(tasklist_lock)"));
    let loc = &r["locations"][0]["physicalLocation"];
    assert!(loc["artifactLocation"]["uri"].as_str().unwrap().ends_with("001-tasklist-ipi/buggy.kvet"));
    assert_eq!(loc["region"]["startLine"], 101, "the step CPU2 waits at: spin_lock(&ptl)");
    // the trace: one thread flow per CPU, ordered across CPUs
    let flows = r["codeFlows"][0]["threadFlows"].as_array().unwrap();
    let ids: Vec<&str> = flows.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["CPU0", "CPU1", "CPU2"]);
    let mut order: Vec<u64> = flows
        .iter()
        .flat_map(|f| f["locations"].as_array().unwrap().iter().map(|l| l["executionOrder"].as_u64().unwrap()))
        .collect();
    order.sort();
    assert_eq!(order, (1..=order.len() as u64).collect::<Vec<_>>());
    let _ = std::fs::remove_dir_all(&dir);
}
