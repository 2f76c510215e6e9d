//! Waiting for a writer without becoming deaf to stop signals. Opening a FIFO blocks until
//! its writer comes, and a read from a pipe until data does; a stop signal would only end
//! such a wait through the signal thread's forced exit, without the `--json` report or a
//! clean message. Here the waits are polls of a tenth of a second, with the stop checked
//! between them.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::time::Duration;

/// How often a wait looks for a stop signal.
const TICK: Duration = Duration::from_millis(100);

/// Opens `path` for reading; a FIFO is opened without blocking, then waited on.
pub(super) fn open(path: &Path) -> anyhow::Result<File> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
        if std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo()) {
            let file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)?;
            // Linux reports neither data nor a hang-up on a FIFO whose writer has not come
            // yet: the poll waits for the writer's first bytes, or its close.
            wait_readable(&file)?;
            set_blocking(&file)?;
            return Ok(file);
        }
    }
    Ok(File::open(path)?)
}

/// A reader whose every read first waits, signal-aware, for something to read.
pub(super) struct Readable<R> {
    inner: R,
}

impl<R> Readable<R> {
    pub(super) fn new(inner: R) -> Self {
        Readable { inner }
    }
}

#[cfg(unix)]
impl<R: Read + std::os::fd::AsFd> Read for Readable<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        wait_readable(&self.inner).map_err(|e| match e.downcast::<io::Error>() {
            Ok(io) => io,
            // A stop signal: surfaces as Interrupted, and the fold loop then stops cleanly.
            Err(_) => io::Error::from(io::ErrorKind::Interrupted),
        })?;
        self.inner.read(buf)
    }
}

#[cfg(not(unix))]
impl<R: Read> Read for Readable<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

/// Waits until `fd` has data or a hang-up, checking for a stop signal every [`TICK`].
#[cfg(unix)]
fn wait_readable(fd: &impl std::os::fd::AsFd) -> anyhow::Result<()> {
    use std::os::fd::AsRawFd;
    let mut poll = libc::pollfd { fd: fd.as_fd().as_raw_fd(), events: libc::POLLIN, revents: 0 };
    loop {
        crate::signals::check()?;
        // SAFETY: one valid pollfd, for the duration of the call.
        let ready = unsafe { libc::poll(&mut poll, 1, TICK.as_millis() as i32) };
        match ready {
            -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => continue,
            -1 => return Err(io::Error::last_os_error().into()),
            0 => continue,
            _ => return Ok(()),
        }
    }
}

/// Clears O_NONBLOCK, so reads wait (and [`Readable`] polls first).
#[cfg(target_os = "linux")]
fn set_blocking(file: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: F_GETFL/F_SETFL only read and set the descriptor's status flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags == -1 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
