//! Remembered secrets go to a real Secret Service (gnome-keyring in a private D-Bus
//! session that the test starts), never to the settings; without any store the
//! window says it cannot remember and keeps the value for the session.
//!
//! The keyring crate picks its store once per process, so each case runs this test
//! binary again, alone, as a child (`--exact <case> --ignored`) in the environment
//! it needs; the child cases do nothing unless `HOOKSCOPE_KEYRING_CHILD` is set.

use crate::support;

use std::process::Command;

use egui_kittest::kittest::Queryable;
use hookscope::gui::Startup;
use hookscope::gui::state::{KeyringStatus, Settings};
use support::SECRET;
use support::window::{harness, set_secret, step_until};

const CHILD: &str = "HOOKSCOPE_KEYRING_CHILD";

/// The credential store has answered the last request.
fn answered(app: &hookscope::gui::HookscopeApp) -> bool {
    matches!(
        app.state.secrets.keyring,
        KeyringStatus::Kept | KeyringStatus::Unavailable(_)
    )
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Runs `case` of this binary as a child, under `wrapper` when given.
fn run_child(case: &str, wrapper: &[&str], env: &[(&str, &str)]) {
    let home = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut command = match wrapper.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    // The test's full name in the one integration-test binary.
    let case = format!("{}::{case}", module_path!().trim_start_matches("it::"));
    command
        .args([
            "--exact",
            &case,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_CACHE_HOME", home.path().join("cache"));
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child {case} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_remembered_secret_lives_in_the_secret_service_and_comes_back() {
    if !on_path("dbus-run-session") || !on_path("gnome-keyring-daemon") {
        eprintln!(
            "skipped: needs dbus-run-session and gnome-keyring-daemon (packages dbus, gnome-keyring; .ci/run installs them)"
        );
        return;
    }
    // The daemon's login keyring is created unlocked with this password.
    let session = [
        "dbus-run-session",
        "--",
        "sh",
        "-c",
        "printf hookscope-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 && exec \"$@\"",
        "sh",
    ];
    run_child("child_remembers_through_the_secret_service", &session, &[]);
}

#[test]
fn without_a_credential_store_the_window_says_so_and_keeps_the_value() {
    run_child(
        "child_without_a_store",
        &[],
        &[(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/hookscope-bus",
        )],
    );
}

/// A window with the test secret typed in and *Remember secret values* ticked,
/// once the credential store has answered.
fn remembering_window() -> egui_kittest::Harness<'static, hookscope::gui::HookscopeApp> {
    let mut harness = harness(Startup::default());
    set_secret(&mut harness, SECRET);
    harness.get_by_label("Remember secret values").click();
    step_until(&mut harness, answered);
    harness
}

#[test]
#[ignore = "a child of a_remembered_secret_lives_in_the_secret_service_and_comes_back"]
fn child_remembers_through_the_secret_service() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let harness = remembering_window();
    assert_eq!(harness.state().state.secrets.keyring, KeyringStatus::Kept);
    harness.get_by_label("kept in the system keyring");
    let saved = serde_json::to_string(&harness.state().state.settings()).unwrap();
    assert!(
        !saved.contains(SECRET),
        "the settings hold the secret: {saved}"
    );
    drop(harness);

    // A restarted window: the settings say which rows were remembered; the
    // values come back from the Secret Service.
    let settings: Settings = serde_json::from_str(&saved).unwrap();
    assert!(settings.remember_secret_values);
    let mut restarted = support::window::harness(Startup {
        settings,
        ..Default::default()
    });
    step_until(&mut restarted, answered);
    assert_eq!(restarted.state().state.secrets.entries[0].value, SECRET);
    assert_eq!(restarted.state().state.verifier().secrets().len(), 1);

    // Unticked: the store forgets it, and a restart gets nothing back.
    restarted.get_by_label("Remember secret values").click();
    step_until(&mut restarted, |app| {
        app.state.secrets.keyring == KeyringStatus::Idle
    });
    assert_eq!(
        hookscope::credentials::load(1).unwrap(),
        vec![None],
        "the store still holds the value"
    );
}

#[test]
#[ignore = "a child of without_a_credential_store_the_window_says_so_and_keeps_the_value"]
fn child_without_a_store() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let harness = remembering_window();
    assert!(
        matches!(
            harness.state().state.secrets.keyring,
            KeyringStatus::Unavailable(_)
        ),
        "{:?}",
        harness.state().state.secrets.keyring
    );
    harness.get_by_label_contains("Cannot remember");
    harness.get_by_label_contains("kept for this session only");
    // In words that say what to do, not the library's error.
    harness.get_by_label_contains("a Secret Service such as GNOME Keyring or KWallet");
    // The box is unticked, and not saved ticked.
    assert!(!harness.state().state.secrets.remember);
    assert!(!harness.state().state.settings().remember_secret_values);
    assert_eq!(harness.state().state.secrets.entries[0].value, SECRET);
    let saved = serde_json::to_string(&harness.state().state.settings()).unwrap();
    assert!(!saved.contains(SECRET), "{saved}");
}

#[test]
fn a_mailboxs_password_lives_in_the_secret_service_and_the_window_follows_it_again_at_start() {
    if !on_path("dbus-run-session") || !on_path("gnome-keyring-daemon") {
        eprintln!("skipped: needs dbus-run-session and gnome-keyring-daemon");
        return;
    }
    let session = [
        "dbus-run-session",
        "--",
        "sh",
        "-c",
        "printf hookscope-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 && exec \"$@\"",
        "sh",
    ];
    run_child(
        "child_follows_a_saved_mailbox_with_its_kept_password",
        &session,
        &[],
    );
}

#[test]
#[ignore = "a child of a_mailboxs_password_lives_in_the_secret_service_and_the_window_follows_it_again_at_start"]
fn child_follows_a_saved_mailbox_with_its_kept_password() {
    use hookscope::email::imap::FollowState;
    use hookscope::gui::state::{Command, ImapAsk};
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let Some(dovecot) = support::dovecot::start_dovecot() else {
        eprintln!("skipped: no Dovecot");
        return;
    };
    let following = |app: &hookscope::gui::HookscopeApp| {
        matches!(
            app.state.mailbox.state(),
            Some(FollowState::Following { .. })
        )
    };
    dovecot.deliver("INBOX", "k1", "CHK00000000000000000000000000000001");
    let dir = tempfile::tempdir().unwrap();
    let startup = || {
        let mut startup = Startup {
            journal: Some(dir.path().join("events.ndjson")),
            listen: true,
            ..Default::default()
        };
        startup.settings.bind = "127.0.0.1:0".to_owned();
        startup
    };
    let url = format!(
        "imaps://{}@localhost:{}/INBOX",
        support::dovecot::USER.replace('@', "%40"),
        dovecot.port
    );
    let mut harness = harness(startup());
    harness.state_mut().state.apply(Command::Imap(Some(ImapAsk {
        url: url.clone(),
        secret: support::dovecot::PASSWORD.to_owned().into(),
        ca: dovecot.pki.ca.display().to_string(),
    })));
    step_until(&mut harness, following);
    assert!(
        harness.state().state.notice.is_none(),
        "{:?}",
        harness.state().state.notice
    );
    let account = hookscope::gui::state::mailbox::account(&url.parse().unwrap());
    assert_eq!(
        hookscope::credentials::load_password(&account)
            .unwrap()
            .as_deref(),
        Some(support::dovecot::PASSWORD)
    );
    let saved = harness.state().state.settings();
    assert!(
        !serde_json::to_string(&saved)
            .unwrap()
            .contains(support::dovecot::PASSWORD)
    );
    drop(harness);

    // The next start follows the saved mailbox with the kept password, nothing typed.
    dovecot.deliver("INBOX", "k2", "CHK00000000000000000000000000000002");
    let mut restarted = support::window::harness(Startup {
        settings: saved,
        ..startup()
    });
    step_until(&mut restarted, following);
    step_until(&mut restarted, |app| app.state.store.len() == 2);
}
