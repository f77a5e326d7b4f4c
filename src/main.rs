//! The `hookscope` binary: parse the command line, set up logging, dispatch.

use std::process::ExitCode;

fn main() -> ExitCode {
    hookscope::cli::main()
}
