//! The `headroom` binary: the window with no subcommand, the CLI with one.

use clap::Parser;
use headroom::cli::{run, Cli};

fn main() {
    let cli = Cli::parse();
    let Some(command) = &cli.command else {
        if let Err(why) = headroom::ui::run_window() {
            eprintln!("headroom: {why}");
            eprintln!("headroom: everything the window does is also on the command line: see `headroom --help`");
            std::process::exit(1);
        }
        return;
    };
    restore_default_sigpipe();
    if let Err(e) = run(&cli, command) {
        eprintln!("headroom: {e}");
        std::process::exit(e.exit_code());
    }
}

/// Rust ignores SIGPIPE, so `headroom rank | head` would panic on the closed pipe; a
/// command-line tool should just stop quietly, as `cat` does.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called once at start-up, before any thread exists; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
