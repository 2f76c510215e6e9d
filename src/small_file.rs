//! Files ghostsum reads whole (a manifest, a checkpoint, an earlier report): read with a
//! bound, and only from a regular file or a FIFO, so `/dev/zero` or a 3 GiB file in their
//! place is a one-line error instead of a read that fills the memory.

use std::io::Read;
use std::path::Path;

/// Why a small file could not be read.
#[derive(Debug)]
pub enum SmallFileError {
    /// The read itself failed.
    Io(std::io::Error),
    /// Something that is not a regular file or a FIFO (a device, a folder, a socket).
    NotAFile(&'static str),
    /// More bytes than the bound.
    TooBig(u64),
}

/// Reads `path` whole, at most `limit` bytes: a regular file or a FIFO (what `<(cmd)` gives).
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, SmallFileError> {
    let file = std::fs::File::open(path).map_err(SmallFileError::Io)?;
    let kind = file.metadata().map_err(SmallFileError::Io)?.file_type();
    if !kind.is_file() && !is_fifo(&kind) {
        return Err(SmallFileError::NotAFile(describe(&kind)));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(SmallFileError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(SmallFileError::TooBig(limit));
    }
    Ok(bytes)
}

#[cfg(unix)]
fn is_fifo(kind: &std::fs::FileType) -> bool {
    std::os::unix::fs::FileTypeExt::is_fifo(kind)
}

#[cfg(not(unix))]
fn is_fifo(_: &std::fs::FileType) -> bool {
    false
}

fn describe(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// The error in one line: what the file is for, its path, what is wrong, what to do.
pub fn explain(e: SmallFileError, what: &str, path: &Path) -> anyhow::Error {
    match e {
        SmallFileError::Io(e) => crate::io_error::at(&format!("read {what}"), path, &e),
        SmallFileError::NotAFile(kind) => {
            anyhow::anyhow!("{what} {} is {kind}, not a file; give the path of the {what} file", path.display())
        }
        SmallFileError::TooBig(limit) => anyhow::anyhow!(
            "{what} {} is more than {} MiB, far more than any {what} ghostsum writes or reads; check the path",
            path.display(),
            limit >> 20
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endless_and_oversized_files_are_refused() {
        assert!(matches!(read(Path::new("/dev/zero"), 1 << 20), Err(SmallFileError::NotAFile("a device"))));
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(read(dir.path(), 1 << 20), Err(SmallFileError::NotAFile(_)) | Err(SmallFileError::Io(_))));
        let big = dir.path().join("big");
        std::fs::File::create(&big).unwrap().set_len(3 << 20).unwrap();
        assert!(matches!(read(&big, 1 << 20), Err(SmallFileError::TooBig(_))));
        assert_eq!(read(&big, 4 << 20).unwrap().len(), 3 << 20);
    }
}
