//! The standard streams, as a trusted filter treats them: a reader that went away (broken
//! pipe) ends output quietly, a stream that was closed before ghostsum started is an error
//! rather than an empty file or a silent sink, and progress on stderr never stops a search.
//!
//! Rust's runtime quietly reopens closed descriptors 0-2 on /dev/null before `main`, so
//! whether one was closed is recorded earlier, by [`record_closed_standard_fds`], which the
//! binary runs from `.init_array`.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// The three standard streams, by descriptor number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Descriptor 0.
    Stdin = 0,
    /// Descriptor 1.
    Stdout = 1,
    /// Descriptor 2.
    Stderr = 2,
}

static CLOSED_AT_START: [AtomicBool; 3] = [AtomicBool::new(false), AtomicBool::new(false), AtomicBool::new(false)];
/// Set once standard output's reader has gone away: later lines are dropped.
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);

/// Records which of descriptors 0-2 are closed. Runs before Rust's runtime starts (see the
/// module comment), so it may only make system calls and touch atomics.
pub extern "C" fn record_closed_standard_fds() {
    #[cfg(unix)]
    for (fd, closed) in CLOSED_AT_START.iter().enumerate() {
        // SAFETY: F_GETFD only reads the descriptor's flags; -1 means it is not open.
        if unsafe { libc::fcntl(fd as i32, libc::F_GETFD) } == -1 {
            closed.store(true, Ordering::Relaxed);
        }
    }
}

/// Was this stream closed when ghostsum started (`<&-`, `>&-`)?
pub fn closed_at_start(stream: Stream) -> bool {
    CLOSED_AT_START[stream as usize].load(Ordering::Relaxed)
}

/// Is this io error the reader of a pipe having gone away?
pub fn is_broken_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

/// Writes one line to standard output. A broken pipe is not an error: the reader chose to
/// stop reading, so this and later lines are dropped and the command's exit status stands.
/// Any other failure (a full disk behind `> file`) is returned.
pub fn print_line(line: impl fmt::Display) -> io::Result<()> {
    print_bytes_line(line.to_string().as_bytes())
}

/// [`print_line`] for bytes that need not be UTF-8 (a file name as the system holds it).
pub fn print_bytes_line(line: &[u8]) -> io::Result<()> {
    if STDOUT_GONE.load(Ordering::Relaxed) {
        return Ok(());
    }
    if closed_at_start(Stream::Stdout) {
        return Err(closed_stdout_error());
    }
    let mut out = io::stdout().lock();
    match out.write_all(line).and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush()) {
        Err(e) if is_broken_pipe(&e) => {
            STDOUT_GONE.store(true, Ordering::Relaxed);
            Ok(())
        }
        result => result
            .map_err(|e| io::Error::new(e.kind(), crate::io_error::on("write to", "standard output", &e).to_string())),
    }
}

/// The error for writing to a standard output that was closed before ghostsum started.
pub fn closed_stdout_error() -> io::Error {
    io::Error::other("standard output is closed (>&-); redirect it to a file, a pipe or /dev/null")
}

/// Writes one line to standard error, ignoring failure: a closed or full log must not stop
/// a search that is otherwise going well.
pub fn say(line: impl fmt::Display) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// Is standard error a terminal (then progress is a live spinner, else a line every few seconds)?
pub fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    io::stderr().is_terminal()
}

/// Standard output's reader went away while ghostsum wrote the result into it (`| head -c`):
/// the command ends quietly with [`crate::exit::Exit::ReaderGone`] (141), as `cat` would.
#[derive(Debug, thiserror::Error)]
#[error("the reader of standard output went away")]
pub struct ReaderGone;
