//! SIGINT, SIGTERM and SIGHUP, the ways a job is told to stop: Ctrl-C, `scancel` or a Slurm
//! time limit, a Kubernetes pod deletion, a closed terminal.
//!
//! The first signal asks whatever runs to stop cleanly: a search stops within a chunk or a
//! dispatch and its checkpoint is saved, a write stops within a MiB and its temporary file
//! is deleted; then one line on stderr and exit 128 + the signal number (130, 143, 129).
//! When the main thread does not take the stop in hand within [`GRACE`] (it is blocked in a
//! system call, say opening a FIFO that nobody reads), or a second signal arrives, the
//! signal thread deletes every registered temporary file itself and exits.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

/// How long the main thread has to notice a signal before the process stops anyway.
pub const GRACE: Duration = Duration::from_secs(3);

const SIGHUP: i32 = 1;
const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

/// A stop request: which signal came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signal(i32);

impl Signal {
    /// Ctrl-C, as a test or a caller outside a real signal uses it.
    pub const INTERRUPT: Signal = Signal(SIGINT);

    /// The signal's usual name.
    pub fn name(self) -> &'static str {
        match self.0 {
            SIGHUP => "SIGHUP",
            SIGINT => "SIGINT",
            SIGTERM => "SIGTERM",
            _ => "a signal",
        }
    }

    /// 128 + the signal number, what shells and schedulers expect from a stopped job.
    pub fn exit_code(self) -> i32 {
        128 + self.0
    }
}

static RECEIVED: AtomicI32 = AtomicI32::new(0);
static TAKEN_IN_HAND: AtomicBool = AtomicBool::new(false);
static TEMP_FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static INSTALL: Once = Once::new();

/// The first stop signal received, if any.
pub fn received() -> Option<Signal> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        n => Some(Signal(n)),
    }
}

/// The stop signal, if one came, now taken in hand: whoever asks is about to stop cleanly, so
/// no forced exit follows after [`GRACE`] (a second signal still forces one). Hot loops ask
/// this between chunks, reads and writes between MiBs.
pub fn stop_requested() -> Option<Signal> {
    let signal = received();
    if signal.is_some() {
        TAKEN_IN_HAND.store(true, Ordering::SeqCst);
    }
    signal
}

/// A stop signal, as an error that unwinds whatever was running.
#[derive(Clone, Copy, Debug, thiserror::Error)]
#[error("interrupted by {}", .0.name())]
pub struct Interrupted(pub Signal);

impl Interrupted {
    /// The stop signal an error carries, if it is one.
    pub fn signal_of(e: &anyhow::Error) -> Option<Signal> {
        e.downcast_ref::<Interrupted>().map(|Interrupted(signal)| *signal)
    }
}

/// `Err(Interrupted)` once a stop signal has come.
pub fn check() -> Result<(), Interrupted> {
    match stop_requested() {
        Some(signal) => Err(Interrupted(signal)),
        None => Ok(()),
    }
}

/// A temporary file that a forced exit must delete; unregistered when dropped.
pub struct TempFileGuard(PathBuf);

impl TempFileGuard {
    /// Registers `path` until the guard is dropped.
    pub fn new(path: &Path) -> Self {
        crate::sync::lock(&TEMP_FILES).push(path.to_path_buf());
        TempFileGuard(path.to_path_buf())
    }
}

impl Drop for TempFileGuard {
    fn drop(&mut self) {
        let mut files = crate::sync::lock(&TEMP_FILES);
        if let Some(at) = files.iter().position(|p| *p == self.0) {
            files.swap_remove(at);
        }
    }
}

/// Deletes every registered temporary file, writes one line and ends the process at once.
fn stop_now(signal: Signal, why: &str) -> ! {
    // try_lock: the main thread may hold the lock while it is stuck; then its files are
    // still named in the list, which a poisoned or held lock keeps intact.
    let files = match TEMP_FILES.try_lock() {
        Ok(files) => files.clone(),
        Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner().clone(),
        Err(std::sync::TryLockError::WouldBlock) => {
            std::thread::sleep(Duration::from_millis(50));
            TEMP_FILES.try_lock().map(|f| f.clone()).unwrap_or_default()
        }
    };
    for path in files {
        let _ = std::fs::remove_file(path);
    }
    crate::stdio::say(format!("ghostsum: {}: {why}; temporary files removed", signal.name()));
    #[cfg(unix)]
    // SAFETY: _exit ends the process without running exit handlers, which could wait on a
    // stream lock held by the stuck main thread.
    unsafe {
        libc::_exit(signal.exit_code())
    }
    #[cfg(not(unix))]
    std::process::exit(signal.exit_code())
}

fn on_signal(number: i32) {
    let signal = Signal(number);
    if RECEIVED.compare_exchange(0, number, Ordering::SeqCst, Ordering::SeqCst).is_err() {
        stop_now(signal, "a second stop signal, stopped at once");
    }
    std::thread::spawn(move || {
        std::thread::sleep(GRACE);
        if !TAKEN_IN_HAND.load(Ordering::SeqCst) {
            stop_now(signal, "stopped while waiting on input or output");
        }
    });
}

/// Starts listening for SIGINT, SIGTERM and SIGHUP (once per process).
pub fn install() {
    INSTALL.call_once(|| {
        #[cfg(unix)]
        {
            use signal_hook::iterator::Signals;
            match Signals::new([SIGINT, SIGTERM, SIGHUP]) {
                Ok(mut signals) => {
                    std::thread::spawn(move || {
                        for number in signals.forever() {
                            on_signal(number);
                        }
                    });
                }
                Err(e) => crate::stdio::say(format!("ghostsum: warning: cannot handle stop signals: {e}")),
            }
        }
        #[cfg(not(unix))]
        {
            // Ctrl-C (and console close, as Windows maps it) is the one stop request there.
            let _ = ctrlc::set_handler(|| on_signal(SIGINT));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_shell_convention() {
        assert_eq!(
            (Signal(SIGINT).exit_code(), Signal(SIGTERM).exit_code(), Signal(SIGHUP).exit_code()),
            (130, 143, 129)
        );
        assert_eq!(Signal(SIGTERM).name(), "SIGTERM");
    }

    #[test]
    fn temp_file_guards_unregister() {
        let path = Path::new("/nonexistent/ghostsum-guard-test");
        {
            let _guard = TempFileGuard::new(path);
            assert!(TEMP_FILES.lock().unwrap().iter().any(|p| p == path));
        }
        assert!(!TEMP_FILES.lock().unwrap().iter().any(|p| p == path));
    }
}
