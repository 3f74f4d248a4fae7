//! The `headroom` binary: the window with no subcommand, the CLI with one.

use clap::Parser;
use headroom::cli::{run, Cli};

fn main() {
    let cli = Cli::parse();
    let Some(command) = &cli.command else {
        // The window lands with the UI issue; until then, show what the CLI can do.
        use clap::CommandFactory;
        let _ = Cli::command().print_help();
        return;
    };
    if let Err(e) = run(&cli, command) {
        eprintln!("headroom: {e}");
        std::process::exit(e.exit_code());
    }
}
