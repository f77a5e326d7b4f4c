//! "Copy as curl": the generated command, run against a second listener, sends
//! the same method, path, headers and body bytes.

use crate::support;

use support::Listener;

/// Runs the record's curl command, in bash, against a fresh listener; that listener.
fn run_curl_against_a_new_listener(record: &hookscope::record::Record) -> Listener {
    let second = Listener::start(&[]);
    let command = hookscope::curl::command(record, &format!("http://{}", second.addr));
    let output = std::process::Command::new("bash")
        .args(["-c", &command])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{command}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    second
}

#[test]
fn curl_command_reproduces_the_request_byte_for_byte() {
    let first = Listener::start(&[]);
    let mut body: Vec<u8> = b"it's \"quoted\"\\ and\nbinary: ".to_vec();
    body.extend(0u8..=255);
    first.post(
        "/hooks/truora?x=1&y=%20z",
        &[
            ("Content-Type", "application/jwt"),
            ("X-Odd", "a'b\"c$d"),
            ("User-Agent", "Truora/1.0"),
            ("X-Empty", ""),
        ],
        &body,
    );
    let record: hookscope::record::Record = serde_json::from_value(first.last()).unwrap();

    let second = run_curl_against_a_new_listener(&record);
    let replayed: hookscope::record::Record = serde_json::from_value(second.last()).unwrap();

    assert_eq!(replayed.method, record.method);
    assert_eq!(replayed.path, record.path);
    assert_eq!(replayed.body_bytes(), body);
    let without = |r: &hookscope::record::Record| -> Vec<(String, String)> {
        r.headers
            .iter()
            .filter(|(n, _)| {
                !["host", "content-length", "expect"].contains(&n.to_ascii_lowercase().as_str())
            })
            .cloned()
            .collect()
    };
    assert_eq!(without(&replayed), without(&record));
}

#[test]
fn a_bracketed_path_is_one_request_and_a_dash_body_is_data() {
    let first = Listener::start(&[]);
    // curl reads [1-5] in a URL as a range (five requests) unless told --globoff;
    // printf reads a format starting with '-' as an option unless given `--`.
    first.post("/z[1-5]", &[("Content-Type", "text/plain")], b"-v --help");
    let record: hookscope::record::Record = serde_json::from_value(first.last()).unwrap();
    assert_eq!(record.path, "/z[1-5]");

    let second = run_curl_against_a_new_listener(&record);
    let records = second.records();
    assert_eq!(records.len(), 1, "{records:?}");
    let replayed: hookscope::record::Record = serde_json::from_value(records[0].clone()).unwrap();
    assert_eq!(replayed.path, "/z[1-5]");
    assert_eq!(replayed.body_bytes(), &b"-v --help"[..]);
}
