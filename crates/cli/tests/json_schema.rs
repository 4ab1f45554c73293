//! `kvet check --json` against the schema documented in docs/json.md
//! (the JSON block there is parsed and applied by a small validator of
//! the JSON Schema keywords it uses: type, required, properties, items,
//! minimum, pattern prefix).

use serde_json::Value;

fn schema() -> Value {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/json.md")).unwrap();
    let start = doc.find("```json\n").expect("a ```json block in docs/json.md") + 8;
    let end = start + doc[start..].find("```").unwrap();
    serde_json::from_str(&doc[start..end]).expect("docs/json.md's schema is JSON")
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "array" => v.is_array(),
        "object" => v.is_object(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        other => panic!("schema uses type {other}, which this validator does not know"),
    }
}

fn validate(s: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
    for k in s.as_object().unwrap().keys() {
        assert!(
            ["type", "required", "properties", "items", "minimum", "pattern"].contains(&k.as_str()),
            "schema keyword {k} unknown to the validator"
        );
    }
    match &s["type"] {
        Value::String(t) if !type_ok(t, v) => errs.push(format!("{at}: not a {t}: {v}")),
        Value::Array(ts) if !ts.iter().any(|t| type_ok(t.as_str().unwrap(), v)) => {
            errs.push(format!("{at}: none of {ts:?}: {v}"))
        }
        _ => {}
    }
    if let (Some(req), Some(o)) = (s["required"].as_array(), v.as_object()) {
        for r in req {
            if !o.contains_key(r.as_str().unwrap()) {
                errs.push(format!("{at}: missing {r}"));
            }
        }
    }
    if let (Some(props), Some(o)) = (s["properties"].as_object(), v.as_object()) {
        for (k, ps) in props {
            if let Some(x) = o.get(k) {
                validate(ps, x, &format!("{at}.{k}"), errs);
            }
        }
    }
    if let (Some(items), Some(a)) = (s.get("items"), v.as_array()) {
        for (i, x) in a.iter().enumerate() {
            validate(items, x, &format!("{at}[{i}]"), errs);
        }
    }
    if let (Some(m), Some(n)) = (s["minimum"].as_i64(), v.as_i64()) {
        if n < m {
            errs.push(format!("{at}: {n} < {m}"));
        }
    }
    if let (Some(p), Some(x)) = (s["pattern"].as_str(), v.as_str()) {
        let prefix = p.trim_start_matches('^').replace("\\.", ".");
        if !x.starts_with(&prefix) {
            errs.push(format!("{at}: {x:?} does not match {p}"));
        }
    }
}

#[test]
fn check_json_follows_the_documented_schema() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kvet"))
        .args(["check", "--json"])
        .arg(format!("{root}/examples/seeds/001-tasklist-ipi"))
        .arg(format!("{root}/examples/basics"))
        .output()
        .unwrap();
    let out: Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(out.as_array().map(|a| a.len()), Some(6));
    let mut errs = Vec::new();
    validate(&schema(), &out, "$", &mut errs);
    assert!(errs.is_empty(), "{errs:#?}");
    // and the schema catches a wrong document
    let mut bad = out.clone();
    bad[0]["states"] = Value::String("many".into());
    let mut errs = Vec::new();
    validate(&schema(), &bad, "$", &mut errs);
    assert_eq!(errs, ["$[0].states: not a integer: \"many\""]);
}
