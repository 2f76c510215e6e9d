//! The thin binary: parse the command line, run it, report errors on one line.

use clap::Parser;

fn main() {
    let cli = match ghostsum::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            std::process::exit(0);
        }
        Err(e) => {
            let rendered = e.to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ");
            eprintln!("ghostsum: error: {first} (see ghostsum --help)");
            std::process::exit(2);
        }
    };
    match ghostsum::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("ghostsum: error: {e:#}");
            std::process::exit(2);
        }
    }
}
