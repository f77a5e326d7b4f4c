//! The `hookscope` binary: parse the command line, set up logging, dispatch.

use std::process::ExitCode;

// Capture allocates a few dozen small buffers per request; mimalloc keeps that
// cheap under concurrency where glibc's malloc showed up at ~10% of CPU.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    hookscope::cli::main()
}
