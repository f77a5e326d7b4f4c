//! `send --scenario lifecycle` into the real listener, then `timeline` and `shapes`
//! on its journal: processes complete, duplicates counted, shuffled arrivals marked,
//! forged hooks kept apart; schemas that every captured event validates against.

use crate::support;

use std::process::Command;

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use support::{Listener, SECRET, sign, truora_claims};

fn hookscope(args: &[&str]) -> (bool, String) {
    let output = Command::new(support::bin())
        .args(args)
        .env_remove("HOOKSCOPE_SECRET")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

/// `send --scenario lifecycle --product all --count COUNT EXTRA` into `listener`;
/// its standard output.
fn send_scenario(listener: &Listener, count: &str, extra: &[&str]) -> String {
    let url = format!("http://{}/hooks/truora", listener.addr);
    let mut args = vec![
        "send",
        "--to",
        &url,
        "--secret",
        SECRET,
        "--scenario",
        "lifecycle",
        "--product",
        "all",
        "--count",
        count,
    ];
    args.extend_from_slice(extra);
    let (ok, out) = hookscope(&args);
    assert!(ok, "{out}");
    out
}

#[test]
fn a_lifecycle_scenario_becomes_complete_processes_with_retries_and_late_arrivals() {
    let listener = Listener::start(&["--secret", SECRET]);
    let out = send_scenario(
        &listener,
        "50",
        &["--duplicates", "0.1", "--shuffle", "--concurrency", "8"],
    );
    // "scenario lifecycle: 50 processes, E events, D sent twice, S delivered out of order"
    let numbers: Vec<usize> = out
        .lines()
        .next()
        .unwrap()
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let (events, twice, shuffled) = (numbers[1], numbers[2], numbers[3]);
    assert_eq!(twice, (events as f64 * 0.1).round() as usize, "{out}");
    assert!(shuffled > 0);

    let journal = listener.journal.to_str().unwrap().to_owned();
    let (ok, text) = hookscope(&["timeline", &journal, "--json"]);
    assert!(ok);
    let processes: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(processes.len(), 50);
    let steps: Vec<&Value> = processes
        .iter()
        .flat_map(|p| p["steps"].as_array().unwrap())
        .collect();
    assert_eq!(steps.len(), events);
    for p in &processes {
        assert_eq!(p["verified"], true, "{p}");
        assert_eq!(p["complete"], true, "{p}");
        for field in ["product", "subject", "state", "first_at", "last_at"] {
            assert!(p.get(field).is_some(), "{field}");
        }
    }
    let extra: usize = steps
        .iter()
        .map(|s| s["deliveries"].as_u64().unwrap() as usize - 1)
        .sum();
    assert_eq!(extra, twice, "every duplicate is counted");
    for s in &steps {
        assert_eq!(
            s["record_ids"].as_array().unwrap().len() as u64,
            s["deliveries"].as_u64().unwrap()
        );
        assert!(s["delivery_ms"].as_i64().unwrap() >= 0);
    }
    // Each shuffled process had its first event delivered last: that one, and only
    // it, arrived after a step with a later time.
    let late: Vec<&&Value> = steps.iter().filter(|s| s["out_of_order"] == true).collect();
    assert_eq!(late.len(), shuffled);
    assert!(late.iter().all(|s| s["since_previous_ms"].is_null()));
    let (ok, table) = hookscope(&["timeline", &journal]);
    assert!(
        ok && table.starts_with("50 processes: 50 complete"),
        "{table}"
    );
}

#[test]
fn a_forged_hook_never_completes_a_process() {
    let listener = Listener::start(&["--secret", SECRET]);
    let claims = |action: &str, id: &str| {
        json!({"iss": "Truora", "iat": 1_800_000_000, "events": [{
            "id": id, "event_type": "check", "event_action": action,
            "timestamp": "2027-01-15T08:00:00Z", "object": {"check_id": "CHKFORGE"}}]})
    };
    let real = sign(
        &claims("created", "E1"),
        SECRET.as_bytes(),
        Algorithm::HS256,
    );
    let forged = sign(
        &claims("finished", "E2"),
        b"not-the-secret-0123456789abcdef",
        Algorithm::HS256,
    );
    listener.post("/hooks", &[], real.as_bytes());
    listener.post("/hooks", &[], forged.as_bytes());
    let (ok, text) = hookscope(&["timeline", listener.journal.to_str().unwrap(), "--json"]);
    assert!(ok);
    let processes: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(processes.len(), 2, "{text}");
    assert_eq!(processes[0]["verified"], true);
    assert_eq!(processes[0]["complete"], false);
    assert_eq!(processes[0]["state"], "created");
    assert_eq!(processes[1]["verified"], false);
    assert_eq!(processes[1]["complete"], false);
    assert_eq!(processes[1]["subject"], "CHKFORGE");
}

#[test]
fn shapes_write_schemas_every_event_validates_against_and_report_a_new_field() {
    let listener = Listener::start(&["--secret", SECRET]);
    send_scenario(&listener, "12", &[]);
    // Truora adds a field to one kind.
    let mut claims = hookscope::samples::process("check", 1_800_000_000_000, 99, 1000).unwrap();
    claims[2]["events"][0]["object"]["risk_level"] = json!("low");
    listener.post(
        "/hooks",
        &[],
        sign(&claims[2], SECRET.as_bytes(), Algorithm::HS256).as_bytes(),
    );
    let dir = tempfile::tempdir().unwrap();
    let journal = listener.journal.to_str().unwrap().to_owned();
    let (ok, text) = hookscope(&[
        "shapes",
        &journal,
        "--json",
        "--json-schema",
        dir.path().to_str().unwrap(),
    ]);
    assert!(ok);
    let shapes: Vec<Value> = serde_json::from_str(&text).unwrap();
    let finished = shapes
        .iter()
        .find(|s| s["type"] == "check" && s["action"] == "finished")
        .unwrap();
    let changes = finished["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{finished:#}");
    assert_eq!(changes[0]["added"], json!(["object.risk_level"]));
    let risk = finished["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "object.risk_level")
        .unwrap();
    assert_eq!(risk["types"], json!(["string"]));
    assert_eq!(risk["present"], 1);

    // Every captured event validates against its kind's schema.
    let mut checked = 0;
    for record in support::read_journal(&listener.journal) {
        let claims = &record["token"]["claims"];
        for event in claims["events"].as_array().unwrap() {
            let name = format!(
                "{}.{}.schema.json",
                event["event_type"].as_str().unwrap(),
                event["event_action"].as_str().unwrap()
            );
            let schema: Value =
                serde_json::from_str(&std::fs::read_to_string(dir.path().join(&name)).unwrap())
                    .unwrap();
            assert_eq!(
                schema["$schema"],
                "https://json-schema.org/draft/2020-12/schema"
            );
            let validator = jsonschema::draft202012::new(&schema).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(event)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{name}: {errors:?}");
            checked += 1;
        }
    }
    assert!(checked >= 20);
    // And the schema is not vacuous: an event of another shape fails it.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("check.finished.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    assert!(!validator.is_valid(&json!({"id": 5, "object": {"check_id": true}})));
}

#[cfg(unix)]
#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.ndjson");
    let text: String = (1..=200)
        .map(|id| shaped_record(id, true, truora_claims()))
        .collect();
    std::fs::write(&journal, text).unwrap();
    for command in ["timeline --json", "shapes --json", "export"] {
        let export_to = if command == "export" {
            " --to /dev/stdout"
        } else {
            ""
        };
        // The reader closes its end at once; every write of the command then fails.
        let script = format!(
            "\"$0\" {command} \"$1\"{export_to} | {{ exec 0<&-; sleep 1; }}; echo \"status ${{PIPESTATUS[0]}}\" >&2"
        );
        let output = Command::new("bash")
            .args(["-c", &script])
            .arg(support::bin())
            .arg(&journal)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{command}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{command}: {stderr}");
        assert!(!stderr.contains("status 101"), "{command}: {stderr}");
    }
}

/// A journal line for these claims, verified (`valid`) or forged.
fn shaped_record(id: u64, valid: bool, claims: Value) -> String {
    let mut record = hookscope::record::Record::request(
        "2026-11-26T13:45:11.123Z",
        "POST",
        "/hooks",
        "127.0.0.1:1",
        vec![],
        b"x",
    );
    record.id = id;
    record.verification.signature = if valid {
        hookscope::record::Signature::Valid
    } else {
        hookscope::record::Signature::Invalid
    };
    record.events = hookscope::truora::classify(&claims);
    record.token = Some(hookscope::record::TokenInfo {
        source: "body".to_owned(),
        raw: String::new(),
        header: json!({"alg": "HS256"}),
        claims: Some(claims),
    });
    serde_json::to_string(&record).unwrap() + "\n"
}

#[cfg(unix)]
#[test]
fn schemas_come_from_verified_events_and_are_written_safely() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.ndjson");
    let event = |id: &str, object: Value, kind: &str| {
        json!({"events": [{"id": id, "event_type": kind, "event_action": "finished",
            "object": object}]})
    };
    let long_kind = "k".repeat(300);
    let text = [
        // Genuine: a key holding a dot.
        shaped_record(
            1,
            true,
            event("E1", json!({"check.id": "CHK1", "score": 1}), "check"),
        ),
        // Forged, of the same kind, trying to loosen its schema.
        shaped_record(2, false, event("E2", json!({"score": "anything"}), "check")),
        // A kind whose name is longer than a file name may be.
        shaped_record(3, true, event("E3", json!({}), &long_kind)),
    ]
    .concat();
    std::fs::write(&journal, text).unwrap();
    let schemas = dir.path().join("schemas");
    std::fs::create_dir(&schemas).unwrap();
    // A link planted where the check schema goes.
    let target = dir.path().join("victim.txt");
    std::fs::write(&target, "keep me").unwrap();
    std::os::unix::fs::symlink(&target, schemas.join("check.finished.schema.json")).unwrap();
    let output = Command::new("bash")
        .args([
            "-c",
            "umask 000; exec \"$0\" shapes \"$1\" --json-schema \"$2\"",
        ])
        .arg(support::bin())
        .arg(&journal)
        .arg(&schemas)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "keep me",
        "written through a link"
    );
    let path = schemas.join("check.finished.schema.json");
    let meta = std::fs::symlink_metadata(&path).unwrap();
    assert!(meta.file_type().is_file());
    assert_eq!(
        meta.permissions().mode() & 0o777,
        0o600,
        "the umask decided"
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let genuine = json!({"id": "E1", "event_type": "check", "event_action": "finished",
        "object": {"check.id": "CHK1", "score": 1}});
    assert!(
        validator.is_valid(&genuine),
        "the genuine event fails its own schema: {schema}"
    );
    let forged = json!({"id": "E2", "event_type": "check", "event_action": "finished",
        "object": {"score": "anything"}});
    assert!(
        !validator.is_valid(&forged),
        "the forged event shaped the schema: {schema}"
    );
    assert!(
        stderr.contains("1 record(s) whose signature did not verify"),
        "{stderr}"
    );
    let long = std::fs::read_dir(&schemas)
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with(&"k".repeat(64)));
    assert!(long, "no schema for the kind with a long name");
}
