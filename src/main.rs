//! The `hookscope` binary: parse the command line, then open the window (no
//! command) or run a headless command; map the outcome to an exit code.

use std::process::ExitCode;

use hookscope::cli::{self, Cli};

// Capture allocates a few dozen small buffers per request; mimalloc keeps that
// cheap under concurrency where glibc's malloc showed up at ~10% of CPU.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Before any secret is read: a core dump would hold the secrets and the hooks.
    if let Err(err) = hookscope::private::no_core_dumps() {
        eprintln!("warning: could not turn core dumps off: {err}");
    }
    let (mut cli, matches) = cli::parse();
    let outcome = match cli.command.take() {
        Some(command) => {
            quiet_on_a_closed_pipe();
            cli::run(command, &matches)
        }
        None => window(cli, &matches),
    };
    cli::exit_code(outcome)
}

/// A command whose reader went away (`hookscope timeline J | head`) ends quietly, as
/// Unix tools do, instead of panicking on the next write to stdout: Rust ignores
/// SIGPIPE by default, so its default action is put back for the headless commands.
fn quiet_on_a_closed_pipe() {
    #[cfg(unix)]
    {
        // SAFETY: signal() sets the disposition of one signal to a constant the C
        // library defines; no handler of ours runs and no memory of ours is touched.
        #[allow(unsafe_code)]
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
}

/// Opens the desktop inspector with the command line's listener options and secrets.
fn window(cli: Cli, matches: &clap::ArgMatches) -> anyhow::Result<ExitCode> {
    let (secrets, secret_encoding) = cli::secrets::texts(&cli.secrets, matches)?;
    // Validate them as `listen` would, so a bad secret is a usage error here too.
    cli::secrets::verifier_for(&secrets, secret_encoding)?;
    let journal = cli.listener.out.clone().or_else(|| {
        let dir = hookscope::gui::data_dir()?;
        hookscope::private::dir(&dir).ok()?;
        Some(dir.join("events.ndjson"))
    });
    // An address typed on the command line always wins over a saved one.
    let bind_given = matches.value_source("bind") == Some(clap::parser::ValueSource::CommandLine);
    let listener = cli.listener.config()?;
    let startup = hookscope::gui::Startup {
        settings: hookscope::gui::state::Settings {
            bind: cli.listener.bind.to_string(),
            ..Default::default()
        },
        bind_given,
        saved_bind: None,
        journal,
        max_events: cli.listener.max_events,
        smtp: cli.listener.smtp(listener.tls.clone()),
        listener,
        listen: true,
        open: cli.open.clone(),
        secrets,
        secret_encoding,
        fsync: cli.listener.fsync,
        retention: cli.listener.retention(),
        dns: cli.listener.dns,
        imap: cli.listener.imap()?,
        reply_given: [
            "respond_status",
            "respond_delay_ms",
            "respond_body",
            "forward_to",
        ]
        .iter()
        .any(|id| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine)),
    };
    hookscope::gui::run(startup)?;
    Ok(ExitCode::SUCCESS)
}
