//! Writes the output so that nothing is ever half-written: a temporary file beside the
//! destination, fsync, then an atomic rename. The input is rewritten only with --in-place.

use crate::input::{io_reason, Content};
use md5::{Digest, Md5};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File(PathBuf),
}

impl Destination {
    pub fn describe(&self) -> String {
        match self {
            Destination::Stdout => "standard output".into(),
            Destination::File(p) => p.display().to_string(),
        }
    }

    /// Fails early (before a long search) when the file could never be written.
    pub fn check_writable(&self) -> anyhow::Result<()> {
        if let Destination::File(path) = self {
            let dir = parent_dir(path);
            if !dir.is_dir() {
                anyhow::bail!("cannot write {}: the directory {} does not exist", path.display(), dir.display());
            }
            if path.is_dir() {
                anyhow::bail!("cannot write {}: it is a directory; give a file name", path.display());
            }
            tempfile::NamedTempFile::new_in(dir)
                .map_err(|e| anyhow::anyhow!("cannot write in {}: {}", dir.display(), io_reason(&e)))?;
        }
        Ok(())
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Copies the content and appends the suffix, hashing what it writes: if the bytes
/// written do not hash to `expected_md5` (the content changed under us), nothing is kept.
pub fn write_output(
    content: &Content,
    suffix: &[u8],
    destination: &Destination,
    expected_md5: &[u8; 16],
) -> anyhow::Result<()> {
    let mut source = content.reopen().map_err(|e| anyhow::anyhow!("cannot read the input again: {}", io_reason(&e)))?;
    match destination {
        Destination::Stdout => {
            let stdout = io::stdout();
            let mut out = stdout.lock();
            copy_hashed(&mut source, &mut out, suffix)?;
            out.flush()?;
            Ok(())
        }
        Destination::File(path) => replace_file(path, |file| {
            let digest = copy_hashed(&mut source, file, suffix)?;
            if &digest != expected_md5 {
                anyhow::bail!("the input changed while ghostsum was searching; nothing was written, run it again");
            }
            Ok(())
        }),
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename (reports, checkpoints).
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    replace_file(path, |file| Ok(file.write_all(bytes)?))
}

/// The one way ghostsum replaces a file: `fill` writes a temporary file beside it, which is
/// synced and renamed over `path` only if `fill` succeeds; otherwise it is deleted.
fn replace_file(path: &Path, fill: impl FnOnce(&mut std::fs::File) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let dir = parent_dir(path);
    let mut temp = tempfile::Builder::new()
        .prefix(".ghostsum-")
        .tempfile_in(dir)
        .map_err(|e| anyhow::anyhow!("cannot write in {}: {}", dir.display(), io_reason(&e)))?;
    fill(temp.as_file_mut())?;
    temp.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        // Keep the permissions of a file we replace (--in-place, or -o over a file).
        let _ = temp.as_file().set_permissions(meta.permissions());
    }
    temp.persist(path).map_err(|e| anyhow::anyhow!("cannot write {}: {}", path.display(), io_reason(&e.error)))?;
    Ok(())
}

fn copy_hashed(source: &mut dyn Read, out: &mut dyn Write, suffix: &[u8]) -> anyhow::Result<[u8; 16]> {
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = source.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
    }
    hasher.update(suffix);
    out.write_all(suffix)?;
    Ok(hasher.finalize().into())
}
