//! Where results go, and how they get there without damage (README, "Files and streams"):
//!
//! * a regular file, new or existing, is written to a temporary file in its folder, synced and
//!   renamed over it, so it is never half-written; a symlink is followed and its target
//!   replaced, so the link stays a link;
//! * an existing device, FIFO, or open descriptor such as `/dev/stdout` is opened and written
//!   into, never replaced;
//! * a replaced file keeps its mode, and its owner and group wherever they can be kept (root:
//!   always); setuid and setgid are cleared whenever they cannot. Its ACLs and extended
//!   attributes are copied. New files get 0666 minus the umask.
//!
//! The input is rewritten only with --in-place.

mod obstacles;
mod replace;
pub mod resolve;
mod stream;

use crate::file_id::parent_dir;
use crate::input::Content;
use crate::io_error;
use crate::read_buffer::ReadBuffer;
use crate::stdio::{self, Stream};
use resolve::Resolved;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

pub use crate::file_id::same_file;

/// Where a result goes, as the user named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// `-o -`.
    Stdout,
    /// `-o PATH`, or the input with --in-place.
    File(PathBuf),
}

impl Destination {
    /// The destination in words, for messages.
    pub fn describe(&self) -> String {
        match self {
            Destination::Stdout => "standard output".into(),
            Destination::File(p) => p.display().to_string(),
        }
    }

    /// Fails early, before a long search, when the result could never be written.
    pub fn check_writable(&self) -> anyhow::Result<()> {
        match self {
            Destination::Stdout if stdio::closed_at_start(Stream::Stdout) => Err(stdio::closed_stdout_error().into()),
            Destination::Stdout => Ok(()),
            Destination::File(path) => match resolve::resolve(path)? {
                Resolved::Replace { real, existing } => {
                    let dir = parent_dir(&real);
                    obstacles::check(&real, existing.as_ref(), dir)?;
                    probe_folder(dir)
                }
                // Opening a FIFO now would wait for its reader; it is opened to write.
                Resolved::WriteInto(_) | Resolved::Descriptor(_) => Ok(()),
            },
        }
    }
}

/// Can a temporary file be made in `dir`? (The only sure test of a folder's writability.)
/// It is made the way outputs are, so unnamed where the system allows.
pub fn probe_folder(dir: &Path) -> anyhow::Result<()> {
    replace::probe(dir)
}

/// Writes the content followed by the suffix, hashing what it writes: if the bytes do not
/// hash to `expected_md5` (a regular input file changed under us), a replaced file is left
/// as it was, nothing reaches a stream, and the error says so.
pub fn write_output(
    content: &Content,
    suffix: &[u8],
    destination: &Destination,
    expected_md5: &[u8],
) -> anyhow::Result<()> {
    match destination {
        Destination::Stdout => {
            if stdio::closed_at_start(Stream::Stdout) {
                return Err(stdio::closed_stdout_error().into());
            }
            let stdout = stream::own_descriptor(1).map_err(|e| io_error::on("write to", "standard output", &e))?;
            stream::write(content, suffix, expected_md5, stdout, "standard output")
        }
        Destination::File(path) => {
            let name = path.display().to_string();
            match resolve::resolve(path)? {
                Resolved::Replace { real, existing } => {
                    replace::replace_file(&real, existing.as_ref(), true, |file| {
                        let digest = copy_hashed(&mut content.reader(), file, suffix, content, &name)?;
                        stream::check_unchanged(content, &digest, expected_md5)
                    })?;
                    if let Some(links @ 2..) = existing.as_ref().map(replace::hard_links) {
                        stdio::say(format!(
                            "ghostsum: note: {name} had {links} hard links; the other names keep the old content"
                        ));
                    }
                    Ok(())
                }
                Resolved::WriteInto(target) => {
                    let file = std::fs::OpenOptions::new()
                        .write(true)
                        .open(&target)
                        .map_err(|e| io_error::at("open", path, &e))?;
                    stream::write(content, suffix, expected_md5, file, &name)
                }
                Resolved::Descriptor(fd) => {
                    let file = stream::own_descriptor(fd).map_err(|e| io_error::at("write to", path, &e))?;
                    stream::write(content, suffix, expected_md5, file, &name)
                }
            }
        }
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename (reports, checkpoints).
/// A symlink is followed and a device written into, as for the main output.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    match resolve::resolve(path)? {
        Resolved::Replace { real, existing } => replace::replace_file(&real, existing.as_ref(), false, |file| {
            file.write_all(bytes).map_err(|e| io_error::at("write", path, &e))
        }),
        Resolved::WriteInto(_) | Resolved::Descriptor(_) => {
            anyhow::bail!("cannot write {}: it is not a regular file; give a file name", path.display())
        }
    }
}

/// Reads `source` to its end in pieces of up to a MiB (a [`ReadBuffer`]), handing each piece
/// to `take`, and stops between pieces when a stop signal comes. `source_name` names it in a
/// read error.
pub(super) fn each_piece(
    source: &mut dyn Read,
    source_name: &str,
    mut take: impl FnMut(&[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut buf = ReadBuffer::new();
    loop {
        crate::signals::check()?;
        match source.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                take(&buf[..n])?;
                buf.grow_if_filled(n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error::on("read", source_name, &e)),
        }
    }
}

/// Copies `source` (the content's head), `suffix`, then the content's trailer into `out`, the
/// head in pieces of up to a MiB, stopping between pieces when a stop signal comes. Returns
/// the md-5 crate's digest of everything written.
pub(super) fn copy_hashed(
    source: &mut dyn Read,
    out: &mut dyn Write,
    suffix: &[u8],
    content: &Content,
    out_name: &str,
) -> anyhow::Result<Vec<u8>> {
    let mut hasher = content.output_hasher(suffix.len() as u64);
    let write_error = |e: io::Error| -> anyhow::Error {
        if stdio::is_broken_pipe(&e) {
            e.into()
        } else {
            io_error::on("write", out_name, &e)
        }
    };
    each_piece(source, &content.describe(), |piece| {
        hasher.update(piece);
        out.write_all(piece).map_err(write_error)
    })?;
    // The suffix, then the content's own last bytes that it was placed before.
    hasher.update(suffix);
    hasher.update(&content.trailer);
    out.write_all(suffix)
        .and_then(|()| out.write_all(&content.trailer))
        .and_then(|()| out.flush())
        .map_err(write_error)?;
    Ok(hasher.finalize())
}
