//! The thin binary: parse the command line, run it, report errors on one line, exit with
//! the status the README and `--help` list.

use clap::Parser;
use ghostsum::exit::Exit;
use ghostsum::signals::Interrupted;
use ghostsum::stdio::{say, ReaderGone};

// Which standard descriptors were closed at start, recorded before Rust's runtime reopens
// them on /dev/null (src/stdio.rs): `search - <&-` must be an error, not an empty input.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd", target_os = "netbsd"))]
#[used]
#[link_section = ".init_array"]
static RECORD_CLOSED_STANDARD_FDS: extern "C" fn() = ghostsum::stdio::record_closed_standard_fds;

#[cfg(target_os = "macos")]
#[used]
#[link_section = "__DATA,__mod_init_func"]
static RECORD_CLOSED_STANDARD_FDS: extern "C" fn() = ghostsum::stdio::record_closed_standard_fds;

fn main() {
    quiet_window_system();
    let exit = match ghostsum::cli::Cli::try_parse() {
        Ok(cli) => match ghostsum::cli::run(cli) {
            Ok(exit) => exit,
            Err(e) => report_error(&e),
        },
        Err(e) => report_usage_error(e),
    };
    std::process::exit(exit.code())
}

/// Vulkan drivers' window-system code prints "XDG_RUNTIME_DIR is invalid" on headless
/// machines; a compute-only tool has no use for it, so it gets a harmless value. Set here,
/// first thing, because setting the environment is sound only while no other thread exists
/// (the signal thread starts later, in `cli::run`).
fn quiet_window_system() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        // SAFETY: main has started no thread yet, and nothing before it reads the environment
        // concurrently (the .init_array hook above only records closed descriptors).
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir()) };
    }
}

fn report_error(e: &anyhow::Error) -> Exit {
    if e.downcast_ref::<ReaderGone>().is_some() {
        // The reader stopped reading, as `| head` does: nothing to complain about.
        return Exit::ReaderGone;
    }
    if let Some(signal) = Interrupted::signal_of(e) {
        say(format!("ghostsum: {}: stopped; nothing was written", signal.name()));
        return Exit::Stopped(signal);
    }
    say(format!("ghostsum: error: {e:#}"));
    Exit::Error
}

/// `--help` and `--version` on standard output, whose write errors count: `> /dev/full` is an
/// error (exit 2), a reader that went away is 141, as for every other command.
fn print_help(e: &clap::Error) -> Exit {
    use std::io::Write;
    let text = e.render().to_string();
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Exit::Done,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::ReaderGone,
        Err(e) => {
            say(format!("ghostsum: error: cannot write to standard output: {}", ghostsum::io_error::reason(&e)));
            Exit::Error
        }
    }
}

/// The usage line of the subcommand named on the command line (`Usage: ghostsum search
/// --prefix <HEX> --output <PATH> <INPUT>`), or of ghostsum itself.
fn whole_usage() -> Option<String> {
    use clap::CommandFactory;
    let mut command = ghostsum::cli::Cli::command();
    command.build();
    let name = std::env::args().nth(1)?;
    let usage = match command.find_subcommand_mut(&name) {
        Some(sub) => sub.render_usage(),
        None => command.render_usage(),
    };
    Some(usage.to_string())
}

/// clap's message on one line: the error, the arguments it lists (a missing --prefix is
/// named), and the usage line.
fn report_usage_error(e: clap::Error) -> Exit {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => return print_help(&e),
        // Bare `ghostsum` (or a subcommand-less call): the whole help, on stderr.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return Exit::Error;
        }
        _ => {}
    }
    use clap::error::{ContextKind, ContextValue};
    // clap's own sentence (its first line), then what its context names: the missing
    // arguments, and the usage line.
    let rendered = e.to_string();
    let sentence = rendered.lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ");
    let mut message = sentence.to_string();
    if let (ErrorKind::MissingRequiredArgument, Some(ContextValue::Strings(missing))) =
        (e.kind(), e.get(ContextKind::InvalidArg))
    {
        message = format!("{sentence} {}", missing.join(", "));
    }
    // A misspelt subcommand or option (`serch`): what clap's longer message suggests.
    for kind in [ContextKind::SuggestedSubcommand, ContextKind::SuggestedArg] {
        if let Some(ContextValue::String(one)) = e.get(kind) {
            message = format!("{message}; did you mean '{one}'?");
        } else if let Some(ContextValue::Strings(some)) = e.get(kind) {
            message = format!("{message}; did you mean '{}'?", some.join("' or '"));
        }
    }
    // A value out of a list (`--for csvv`): the values it takes, as clap's longer message has.
    if let Some(ContextValue::Strings(valid)) = e.get(ContextKind::ValidValue) {
        message = format!("{message}; use one of: {}", valid.join(", "));
    }
    let usage = match e.get(ContextKind::Usage) {
        // The subcommand's whole usage line, the same for every error (clap's names only the
        // arguments that are missing).
        Some(ContextValue::StyledStr(_)) => whole_usage().unwrap_or_default(),
        _ => String::new(),
    };
    match usage.trim().strip_prefix("Usage: ") {
        Some(usage) => say(format!("ghostsum: error: {message} (usage: {usage}; see --help)")),
        None => say(format!("ghostsum: error: {message} (see ghostsum --help)")),
    }
    Exit::Error
}
