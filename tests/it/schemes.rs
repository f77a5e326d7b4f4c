//! The other providers' schemes, with requests signed by the providers' own
//! libraries (Stripe's and Octokit's from npm, Standard Webhooks' and Slack's from
//! PyPI; `.ci/run` installs them, the test says it skipped without them).

use std::path::PathBuf;

use serde_json::Value;

use crate::support;

use support::Listener;

const STRIPE_SECRET: &str = "whsec_stripe_test_0123456789";
/// A Standard Webhooks secret: whsec_ and the base64 of its key.
const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const GITHUB_SECRET: &str = "github-webhook-secret";
const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

const BODY: &str = r#"{"id":"evt_9","type":"payment_intent.succeeded","data":{"id":"msg_data","object":{"id":"pi_9"}},"action":"opened","repository":{"full_name":"octo/hello"}}"#;

/// The providers' npm packages, where `.ci/run` puts them.
fn node_modules() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/provider-libs/node_modules");
    (dir.join("stripe").is_dir() && dir.join("@octokit/webhooks-methods").is_dir()).then_some(dir)
}

fn run(program: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn requests_signed_by_the_providers_libraries_verify_and_tampered_ones_do_not() {
    let Some(modules) = node_modules() else {
        eprintln!(
            "skipped: no stripe and @octokit/webhooks-methods in target/provider-libs (.ci/run installs them)"
        );
        return;
    };
    if run("python3", &["-c", "import standardwebhooks, slack_sdk"]).is_none() {
        eprintln!("skipped: no standardwebhooks and slack_sdk for Python (pip install them)");
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Node: Stripe's test header helper and Octokit's sign().
    let node = format!(
        r#"
import {{ createRequire }} from 'node:module';
import {{ sign }} from '{m}/@octokit/webhooks-methods/dist-node/index.js';
const Stripe = createRequire('{m}/')('stripe');
const stripe = Stripe('sk_test_x');
const payload = {body:?};
console.log(JSON.stringify({{
  stripe: stripe.webhooks.generateTestHeaderString({{ payload, secret: {stripe:?} }}),
  github: await sign({github:?}, payload),
}}));
"#,
        m = modules.display(),
        body = BODY,
        stripe = STRIPE_SECRET,
        github = GITHUB_SECRET,
    );
    let node = run("node", &["--input-type=module", "-e", &node]).expect("node signs");
    let node: Value = serde_json::from_str(node.trim()).unwrap();
    // Python: Standard Webhooks' and Slack's.
    let (standard, slack) = (STANDARD_SECRET, SLACK_SECRET);
    let python = format!(
        r#"
import json, datetime
from standardwebhooks.webhooks import Webhook
from slack_sdk.signature import SignatureVerifier
body = {BODY:?}
at = datetime.datetime.fromtimestamp({now}, tz=datetime.timezone.utc)
print(json.dumps({{
  "standard": Webhook({standard:?}).sign("msg_9", at, body),
  "slack": SignatureVerifier({slack:?}).generate_signature(timestamp="{now}", body=body),
}}))
"#
    );
    let python = run("python3", &["-c", &python]).expect("python signs");
    let python: Value = serde_json::from_str(python.trim()).unwrap();
    let listener = Listener::start(&[
        "--secret",
        STRIPE_SECRET,
        "--secret",
        STANDARD_SECRET,
        "--secret",
        GITHUB_SECRET,
        "--secret",
        SLACK_SECRET,
    ]);
    let now = now.to_string();
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "stripe",
            vec![(
                "Stripe-Signature",
                node["stripe"].as_str().unwrap().to_owned(),
            )],
        ),
        (
            "github",
            vec![
                (
                    "X-Hub-Signature-256",
                    node["github"].as_str().unwrap().to_owned(),
                ),
                ("X-GitHub-Event", "pull_request".to_owned()),
                ("X-GitHub-Delivery", "d-9".to_owned()),
            ],
        ),
        (
            "standard_webhooks",
            vec![
                ("webhook-id", "msg_9".to_owned()),
                ("webhook-timestamp", now.clone()),
                (
                    "webhook-signature",
                    python["standard"].as_str().unwrap().to_owned(),
                ),
            ],
        ),
        (
            "slack",
            vec![
                (
                    "X-Slack-Signature",
                    python["slack"].as_str().unwrap().to_owned(),
                ),
                ("X-Slack-Request-Timestamp", now.clone()),
            ],
        ),
    ];
    for (scheme, headers) in &cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        assert_eq!(
            listener.post("/hook", &headers, BODY.as_bytes()).status,
            200
        );
        let record = listener.last();
        let v = &record["verification"];
        assert_eq!(v["scheme"], *scheme, "{v}");
        assert_eq!(v["signature"], "valid", "{scheme}: {v}");
        // The same headers over a body changed by one byte.
        let tampered = BODY.replace("evt_9", "evt_8");
        listener.post("/hook", &headers, tampered.as_bytes());
        let v = listener.last()["verification"].clone();
        assert_eq!(v["signature"], "invalid", "{scheme}: {v}");
    }
    let records = listener.records();
    assert_eq!(records[0]["events"][0]["subject"], "pi_9");
    assert_eq!(records[0]["verification"]["message_id"], "evt_9");
    assert_eq!(records[2]["events"][0]["type"], "pull_request");
    assert_eq!(records[2]["events"][0]["subject"], "octo/hello");
}
