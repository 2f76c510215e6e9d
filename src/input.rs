//! Reads the content once, streaming: complete 64-byte blocks are folded into the MD5
//! midstate as they arrive, so memory stays constant for a 10 GB file.

use md5::{Digest, Md5};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// What the search needs to know about the content, and where to copy it from later.
pub struct Content {
    /// Where the content's bytes can be read again to write the output.
    pub source: ContentSource,
    /// Content length in bytes.
    pub len: u64,
    /// MD5 state after every complete 64-byte block of the content.
    pub midstate: [u32; 4],
    /// The bytes after the last complete block (fewer than 64).
    pub tail: Vec<u8>,
    /// The md-5 crate's hasher after the whole content: the independent re-check.
    pub hasher: Md5,
}

pub enum ContentSource {
    File(PathBuf),
    /// Standard input, spooled to a temporary file while it was hashed.
    Spooled(tempfile::NamedTempFile),
    /// Content held in memory (batch pages after their placeholders are filled in).
    Memory(Vec<u8>),
}

impl Content {
    /// Reads a path, or standard input for `-`.
    pub fn read(input: &Path) -> anyhow::Result<Content> {
        if input == Path::new("-") {
            let mut spool = tempfile::NamedTempFile::new()
                .map_err(|e| anyhow::anyhow!("cannot create a temporary file to hold standard input: {e}"))?;
            let stdin = io::stdin();
            let mut content = Self::fold(stdin.lock(), Some(spool.as_file_mut()))
                .map_err(|e| anyhow::anyhow!("cannot read standard input: {e}"))?;
            spool.as_file_mut().flush()?;
            content.source = ContentSource::Spooled(spool);
            Ok(content)
        } else {
            let file =
                File::open(input).map_err(|e| anyhow::anyhow!("cannot read {}: {}", input.display(), io_reason(&e)))?;
            if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
                anyhow::bail!("cannot read {}: it is a directory", input.display());
            }
            let mut content = Self::fold(file, None)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {}", input.display(), io_reason(&e)))?;
            content.source = ContentSource::File(input.to_path_buf());
            Ok(content)
        }
    }

    /// Content held in memory (tests, batch pages).
    pub fn from_bytes(bytes: &[u8]) -> Content {
        let mut content = Self::fold(bytes, None).expect("reading from memory cannot fail");
        content.source = ContentSource::Memory(bytes.to_vec());
        content
    }

    fn fold(mut reader: impl Read, mut copy_to: Option<&mut File>) -> io::Result<Content> {
        let mut midstate = crate::steps::INITIAL_STATE;
        let mut hasher = Md5::new();
        let mut len = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        let mut carried = 0usize; // bytes at the front of buf not yet folded
        loop {
            let n = match reader.read(&mut buf[carried..]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if let Some(f) = copy_to.as_deref_mut() {
                f.write_all(&buf[carried..carried + n])?;
            }
            hasher.update(&buf[carried..carried + n]);
            len += n as u64;
            let filled = carried + n;
            let whole = filled / 64 * 64;
            let (blocks, _) = buf[..whole].as_chunks::<64>();
            md5::block_api::compress(&mut midstate, blocks);
            buf.copy_within(whole..filled, 0);
            carried = filled - whole;
        }
        Ok(Content { source: ContentSource::Memory(Vec::new()), len, midstate, tail: buf[..carried].to_vec(), hasher })
    }

    /// Opens the content for copying into the output.
    pub fn reopen(&self) -> io::Result<Box<dyn Read>> {
        match &self.source {
            ContentSource::File(p) => Ok(Box::new(File::open(p)?)),
            ContentSource::Memory(bytes) => Ok(Box::new(io::Cursor::new(bytes.clone()))),
            ContentSource::Spooled(t) => Ok(Box::new(File::open(t.path())?)),
        }
    }
}

/// An io::Error's reason without Rust's "(os error 2)" noise.
pub fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midstate_plus_tail_is_the_content() {
        for len in [0usize, 1, 63, 64, 65, 127, 128, 1000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let c = Content::from_bytes(&bytes);
            assert_eq!(c.len, len as u64);
            assert_eq!(c.tail, &bytes[len / 64 * 64..]);
            let mut expected = crate::steps::INITIAL_STATE;
            for block in bytes[..len / 64 * 64].chunks(64) {
                crate::steps::compress(&mut expected, block.try_into().unwrap());
            }
            assert_eq!(c.midstate, expected);
        }
    }
}
