//! Writing a result into something that is not replaced but written into: standard output,
//! a FIFO, a device, a descriptor the shell opened (`/dev/stdout`, `/dev/fd/3`).
//!
//! Two rules make such a write as safe as a replaced file:
//! * Nothing reaches the reader before its bytes are known good. A regular input file can
//!   change while ghostsum searches, so its result is first copied aside (in memory, past
//!   16 MiB in an unnamed temporary file) and hashed; only when the digest is the one found
//!   does anything go out. Other inputs were already copied by ghostsum when read.
//! * A descriptor is used as the shell set it up: `>>` appends, `>` and `1<>` write at the
//!   descriptor's offset, and a regular file opened without append ends where the result
//!   ends, because a longer file's stale tail would change its MD5.

use super::{copy_hashed, each_piece};
use crate::input::{Content, SPOOL_IN_MEMORY};
use crate::io_error;
use crate::stdio::{self, ReaderGone};
use std::fs::File;
use std::io::{self, Read, Seek, Write};

/// A duplicate of one of ghostsum's open descriptors: same file, offset and mode.
#[cfg(unix)]
pub(super) fn own_descriptor(fd: i32) -> io::Result<File> {
    use std::os::fd::BorrowedFd;
    // SAFETY: F_GETFD only reads the flags, and proves the descriptor is open before it is
    // borrowed; the borrow lasts only for the duplication.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
        return Err(io::Error::last_os_error());
    }
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    Ok(File::from(borrowed.try_clone_to_owned()?))
}

#[cfg(not(unix))]
pub(super) fn own_descriptor(_fd: i32) -> io::Result<File> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "descriptors cannot be written into here"))
}

/// The error when the bytes written do not hash to the digest the search found.
pub(super) fn check_unchanged(content: &Content, digest: &[u8], expected: &[u8]) -> anyhow::Result<()> {
    if digest != expected {
        anyhow::bail!(
            "the input {} changed while ghostsum was searching; nothing was written. Run it again once the file stops changing",
            content.describe()
        );
    }
    Ok(())
}

/// Writes the content and suffix into `out`, as the module comment says.
pub(super) fn write(content: &Content, suffix: &[u8], expected: &[u8], out: File, name: &str) -> anyhow::Result<()> {
    let mut out = Counted { inner: out, written: 0 };
    let total = content.total_len() + suffix.len() as u64;
    let written = if content.is_regular_file() {
        let mut aside = tempfile::spooled_tempfile(SPOOL_IN_MEMORY);
        let digest = copy_hashed(&mut content.reader(), &mut aside, suffix, content, "a temporary copy")?;
        check_unchanged(content, &digest, expected)?;
        aside.rewind().map_err(|e| io_error::on("read", "the temporary copy", &e))?;
        copy_plain(&mut aside, &mut out)
    } else {
        copy_hashed(&mut content.reader(), &mut out, suffix, content, name)
            .and_then(|digest| check_unchanged(content, &digest, expected))
    };
    written.and_then(|()| end_here(&out.inner)).map_err(|e| explain(e, name, out.written, total))
}

/// Copies what was set aside, a MiB at a time, stopping between MiBs on a stop signal.
fn copy_plain(from: &mut dyn Read, out: &mut dyn Write) -> anyhow::Result<()> {
    each_piece(from, "the temporary copy", |piece| Ok(out.write_all(piece)?))?;
    out.flush()?;
    Ok(())
}

/// A regular file written through a descriptor without O_APPEND ends where the result ends.
#[cfg(unix)]
fn end_here(file: &File) -> anyhow::Result<()> {
    use std::os::fd::AsRawFd;
    let Ok(meta) = file.metadata() else { return Ok(()) };
    // SAFETY: F_GETFL only reads the descriptor's status flags.
    let flags = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFL) };
    if !meta.is_file() || flags == -1 || flags & libc::O_APPEND != 0 {
        return Ok(());
    }
    let mut handle = file;
    let end = handle.stream_position()?;
    if meta.len() > end {
        file.set_len(end)?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn end_here(_file: &File) -> anyhow::Result<()> {
    Ok(())
}

/// The error in words: a reader that went away ends quietly (141, as `cat` would); any
/// other failure says how much of the result had already reached the stream.
fn explain(e: anyhow::Error, name: &str, written: u64, total: u64) -> anyhow::Error {
    if e.is::<crate::signals::Interrupted>() {
        return e;
    }
    let io = e.downcast_ref::<io::Error>().or_else(|| e.root_cause().downcast_ref::<io::Error>());
    match io {
        Some(io) if stdio::is_broken_pipe(io) => ReaderGone.into(),
        Some(io) if e.is::<io::Error>() => {
            anyhow::anyhow!("{}; {}", io_error::on("write", name, io), reached(written, total))
        }
        _ if written > 0 => anyhow::anyhow!("{e:#}; {}", reached(written, total)),
        _ => e,
    }
}

fn reached(written: u64, total: u64) -> String {
    match written {
        0 => "nothing had reached it".into(),
        n => format!("{n} of the result's {total} bytes had reached it, the rest did not"),
    }
}

/// Counts the bytes that reached the stream.
struct Counted {
    inner: File,
    written: u64,
}

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
