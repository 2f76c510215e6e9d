//! Reads the content exactly once, streaming: complete 64-byte blocks are folded into the
//! MD5 midstate as they arrive, so memory stays constant for a 10 GB file.
//!
//! A regular file is kept open and read again from its start to write the output. Anything
//! that cannot be read twice (standard input, a FIFO, `<(cmd)`, a character device) is kept
//! from that one read: in memory up to [`SPOOL_IN_MEMORY`], then in an anonymous temporary
//! file that the system deletes whatever happens to the process.

use crate::address::Address;
use crate::hash::{HashKind, Hasher, State};
use crate::io_error;
use crate::stdio::{self, Stream};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

mod wait;

/// Bytes of a one-time input held in memory before the rest goes to a temporary file.
pub const SPOOL_IN_MEMORY: usize = 16 << 20;
/// The most ghostsum keeps of an input it can read only once: `/dev/zero` or `yes |` would
/// otherwise fill the temporary folder.
pub const SPOOL_LIMIT: u64 = 1 << 30;

/// How many 64-byte blocks before its end the suffix can be placed: the trailer (the content
/// after the suffix) is at most [`crate::placement::MAX_TRAILER`] bytes, which spans the
/// last two block boundaries at worst.
const PLACEABLE_BLOCKS: usize = 2;

/// What the search needs to know about the content, and where to copy it from later.
///
/// The suffix goes after the first `len` bytes (the head); the `trailer`, the content's last
/// few bytes, follows it ([`Content::place_suffix_before`]). By default the trailer is empty:
/// the suffix is appended.
pub struct Content {
    source: ContentSource,
    /// Bytes of the input before the suffix.
    pub len: u64,
    /// The hash state after every complete 64-byte block of the hashed message's head (the
    /// address's header, then the input's head).
    pub midstate: State,
    /// The message head's bytes after its last complete block (fewer than 64).
    pub tail: Vec<u8>,
    /// The content's bytes after the suffix (and any [`Content::add_after_suffix`] gave it).
    pub trailer: Vec<u8>,
    /// Bytes of the trailer that the input does not hold: added after the suffix.
    added_after: usize,
    /// RustCrypto's hasher after the message's head: the independent re-check.
    pub hasher: Hasher,
    /// What the search makes start with the prefix: MD5 of the bytes unless
    /// [`Content::set_address`] said otherwise.
    address: Address,
    /// The hash `midstate`, `tail` and `hasher` were folded with.
    folded_hash: HashKind,
    /// Bytes of the address's header (git's `blob 123\0`) folded before the input.
    header_len: u64,
    /// The suffix length in bytes that header was made for.
    header_suffix_bytes: u64,
    /// Both states at the content's last block boundaries, oldest first: where a suffix
    /// placed before the end starts hashing from.
    boundaries: Vec<Boundary>,
}

/// The MD5 state (ours and the md-5 crate's) after the first `offset` bytes, a multiple of 64.
#[derive(Clone)]
struct Boundary {
    offset: u64,
    midstate: State,
    hasher: Hasher,
}

enum ContentSource {
    /// A regular file, kept open since it was read.
    File { file: File, path: PathBuf },
    /// A one-time input kept in an anonymous temporary file.
    Spooled { file: File, name: String },
    /// Bytes in memory: batch pages, tests, and short one-time inputs.
    Memory { bytes: Vec<u8>, name: String },
}

impl Content {
    /// Reads a path, or standard input for `-`.
    pub fn read(input: &Path) -> anyhow::Result<Content> {
        if input == Path::new("-") {
            if stdio::closed_at_start(Stream::Stdin) {
                anyhow::bail!("standard input is closed (<&-); give a file, or redirect one into it");
            }
            return Self::read_once(wait::Readable::new(io::stdin().lock()), "standard input");
        }
        // Opening a FIFO waits for its writer, as `cat` does; a stop signal still ends it.
        let file = wait::open(input).map_err(|e| match e.downcast::<io::Error>() {
            Ok(io) => io_error::at("read", input, &io),
            Err(other) => other,
        })?;
        let meta = file.metadata().map_err(|e| io_error::at("read", input, &e))?;
        if meta.is_dir() {
            anyhow::bail!("cannot read {}: it is a folder; give a file", input.display());
        }
        if !meta.is_file() {
            return Self::read_once(wait::Readable::new(file), &input.display().to_string());
        }
        let mut content = Self::fold(&file, None, &input.display().to_string())?;
        content.source = ContentSource::File { file, path: input.to_path_buf() };
        Ok(content)
    }

    /// Content held in memory (tests, batch pages).
    pub fn from_bytes(bytes: &[u8]) -> Content {
        let mut content = Self::fold(bytes, None, "memory").expect("reading from memory cannot fail");
        content.source = ContentSource::Memory { bytes: bytes.to_vec(), name: "the page".into() };
        content
    }

    /// Content ghostsum itself wrote into `spool` (a batch page with its placeholders
    /// resolved): folded from its start, and kept where it is.
    pub fn from_spool(mut spool: tempfile::SpooledTempFile, name: &str) -> anyhow::Result<Content> {
        use std::io::Seek;
        spool.rewind().map_err(|e| io_error::on("read", name, &e))?;
        let mut content = Self::fold(&mut spool, None, name)?;
        content.source = ContentSource::kept(spool, name);
        Ok(content)
    }

    /// Reads something that cannot be read twice, keeping its bytes for the output.
    fn read_once(reader: impl Read, name: &str) -> anyhow::Result<Content> {
        let mut spool = tempfile::spooled_tempfile(SPOOL_IN_MEMORY);
        let mut content = Self::fold(reader.take(SPOOL_LIMIT + 1), Some(&mut spool), name)?;
        if content.len > SPOOL_LIMIT {
            anyhow::bail!(
                "{name} goes on past {} GiB, the most ghostsum keeps of an input it can read only once (a pipe, a FIFO, a device); save it to a file and search the file",
                SPOOL_LIMIT >> 30
            );
        }
        content.source = ContentSource::kept(spool, name);
        Ok(content)
    }

    fn fold(reader: impl Read, copy_to: Option<&mut dyn Write>, name: &str) -> anyhow::Result<Content> {
        Self::fold_hashed(reader, copy_to, name, HashKind::Md5)
    }

    /// Folds `reader` into `hash`'s states, keeping those at the last block boundaries.
    fn fold_hashed(
        mut reader: impl Read,
        mut copy_to: Option<&mut dyn Write>,
        name: &str,
        hash: HashKind,
    ) -> anyhow::Result<Content> {
        let mut midstate = hash.initial_state();
        let mut hasher = Hasher::new(hash);
        let mut boundaries: Vec<Boundary> = Vec::new();
        let mut len = 0u64;
        let mut folded = 0u64;
        let mut buf = crate::read_buffer::ReadBuffer::new();
        let mut carried = 0usize; // bytes at the front of buf not yet folded
        loop {
            crate::signals::check()?;
            let n = match reader.read(&mut buf[carried..]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_error::on("read", name, &e)),
            };
            if let Some(spool) = copy_to.as_deref_mut() {
                spool
                    .write_all(&buf[carried..carried + n])
                    .map_err(|e| io_error::on("keep a copy of", &format!("{name} in a temporary file"), &e))?;
            }
            len += n as u64;
            let filled = carried + n;
            buf.grow_if_filled(filled);
            let whole = filled / 64 * 64;
            let (blocks, _) = buf[..whole].as_chunks::<64>();
            // All but the last few blocks at once; those one at a time, keeping the state
            // before each (a placed suffix starts there).
            let (bulk, last) = blocks.split_at(blocks.len().saturating_sub(PLACEABLE_BLOCKS));
            hash.compress(&mut midstate, bulk);
            hasher.update(bulk.as_flattened());
            folded += bulk.as_flattened().len() as u64;
            for block in last {
                boundaries.push(Boundary { offset: folded, midstate, hasher: hasher.clone() });
                hash.compress(&mut midstate, std::slice::from_ref(block));
                hasher.update(block);
                folded += 64;
            }
            let keep_from = boundaries.len().saturating_sub(PLACEABLE_BLOCKS);
            boundaries.drain(..keep_from);
            buf.copy_within(whole..filled, 0);
            carried = filled - whole;
        }
        boundaries.push(Boundary { offset: folded, midstate, hasher: hasher.clone() });
        hasher.update(&buf[..carried]);
        let source = ContentSource::Memory { bytes: Vec::new(), name: name.into() };
        let tail = buf[..carried].to_vec();
        let address = Address { hash, git_object: None };
        Ok(Content {
            source,
            len,
            midstate,
            tail,
            trailer: Vec::new(),
            added_after: 0,
            hasher,
            address,
            folded_hash: hash,
            header_len: 0,
            header_suffix_bytes: 0,
            boundaries,
        })
    }

    /// Makes `address` the digest the search moves: the bytes (md5sum's, the default),
    /// or git's id with its header. Hashing starts over with it once the suffix is placed
    /// and its length known ([`Content::fold_for_suffix`]).
    pub fn set_address(&mut self, address: Address) {
        self.address = address;
    }

    /// Folds the head again, after the address's header, with the address's hash, for a
    /// suffix of `suffix_bytes` bytes (git's header names the object's whole length). After
    /// the suffix is placed; placing it after this is refused. Nothing to do for MD5 of the
    /// bytes, which the first read folded.
    pub fn fold_for_suffix(&mut self, suffix_bytes: u64) -> anyhow::Result<()> {
        let object_len = self.total_len() + suffix_bytes;
        if self.folded_for(object_len) {
            return Ok(());
        }
        let header = self.address.header(object_len);
        let name = self.describe();
        let folded = Self::fold_hashed(header.as_slice().chain(self.reader()), None, &name, self.address.hash)?;
        if folded.len != header.len() as u64 + self.len {
            anyhow::bail!("{name} changed while ghostsum was reading it; run it again once it stops changing");
        }
        self.midstate = folded.midstate;
        self.tail = folded.tail;
        self.hasher = folded.hasher;
        self.boundaries.clear();
        self.folded_hash = self.address.hash;
        self.header_len = header.len() as u64;
        self.header_suffix_bytes = suffix_bytes;
        Ok(())
    }

    /// The suffix length in bytes the folded header names the object's length for (git's
    /// ids): a search must take exactly that. None when the address has no header.
    pub fn fixed_suffix_bytes(&self) -> Option<u64> {
        (self.header_len > 0).then_some(self.header_suffix_bytes)
    }

    /// Are `midstate`, `tail` and `hasher` this address's, for an object (the output, or the
    /// input) of `object_len` bytes? Without a header, for any length.
    fn folded_for(&self, object_len: u64) -> bool {
        let header_len = self.address.header(object_len).len() as u64;
        self.folded_hash == self.address.hash
            && self.header_len == header_len
            && (header_len == 0 || self.total_len() + self.header_suffix_bytes == object_len)
    }

    /// RustCrypto's hasher after the address's header for an object of `object_len` bytes
    /// and the head: the folded one where it is that, else the head read again.
    fn hasher_after_head(&self, object_len: u64) -> anyhow::Result<Hasher> {
        if self.folded_for(object_len) {
            return Ok(self.hasher.clone());
        }
        let mut hasher = self.address.hasher(object_len);
        io::copy(&mut self.reader(), &mut hasher).map_err(|e| io_error::on("read", &self.describe(), &e))?;
        Ok(hasher)
    }

    /// RustCrypto's hasher for an output with a suffix of `suffix_bytes` bytes, fed the
    /// address's header: what writing the output re-checks with.
    pub fn output_hasher(&self, suffix_bytes: u64) -> Hasher {
        self.address.hasher(self.total_len() + suffix_bytes)
    }

    /// The address the search moves.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The hashed message's bytes before the suffix: the address's header and the input's head.
    pub fn message_len(&self) -> u64 {
        self.header_len + self.len
    }

    /// What [`Content::message_len`] will be once folded for a suffix of `suffix_bytes`
    /// bytes: a git header names the object's length, so its own length can change with the
    /// suffix's. Plans compare suffix lengths with it before folding for one.
    pub fn message_len_for_suffix(&self, suffix_bytes: u64) -> u64 {
        self.address.header(self.total_len() + suffix_bytes).len() as u64 + self.len
    }

    /// The content's whole length: head and trailer (what the output holds besides the
    /// suffix).
    pub fn total_len(&self) -> u64 {
        self.len + self.trailer.len() as u64
    }

    /// The input's address (the content without what was added after the suffix), by
    /// RustCrypto's crates. A git id's header names the input's own length.
    pub fn input_digest(&self) -> anyhow::Result<Vec<u8>> {
        let mut hasher = self.hasher_after_head(self.input_len())?;
        hasher.update(&self.trailer[..self.trailer.len() - self.added_after]);
        Ok(hasher.finalize())
    }

    /// The address of the output with `suffix`, by RustCrypto's crates: from the hasher that
    /// has the head already where the head is folded for it, else the head read again.
    pub fn digest_with_suffix(&self, suffix: &[u8]) -> anyhow::Result<Vec<u8>> {
        let mut hasher = self.hasher_after_head(self.total_len() + suffix.len() as u64)?;
        hasher.update(suffix);
        hasher.update(&self.trailer);
        Ok(hasher.finalize())
    }

    /// The input's length: the content without what was added after the suffix.
    pub fn input_len(&self) -> u64 {
        self.total_len() - self.added_after as u64
    }

    /// Places the suffix before the content's last `trailer_len` bytes (from its end, whatever
    /// was placed before): the head's states come from the block boundary at or before it,
    /// so nothing is read but the last block or two.
    pub fn place_suffix_before(&mut self, trailer_len: usize) -> anyhow::Result<()> {
        if self.added_after > 0 || self.boundaries.is_empty() {
            anyhow::bail!("internal error: the suffix of {} was placed twice", self.describe());
        }
        let total = self.total_len();
        let at = total.checked_sub(trailer_len as u64).ok_or_else(|| {
            anyhow::anyhow!(
                "{} is {total} bytes, shorter than the {trailer_len} bytes to keep after the suffix",
                self.describe()
            )
        })?;
        let Some(boundary) = self.boundaries.iter().rev().find(|b| b.offset <= at).cloned() else {
            anyhow::bail!("the suffix cannot go {trailer_len} bytes before the end of {}", self.describe());
        };
        let mut end = Vec::new();
        self.whole_from(boundary.offset)
            .read_to_end(&mut end)
            .map_err(|e| io_error::on("read", &self.describe(), &e))?;
        if end.len() as u64 != total - boundary.offset {
            anyhow::bail!(
                "{} changed while ghostsum was reading it; run it again once it stops changing",
                self.describe()
            );
        }
        let split = (at - boundary.offset) as usize;
        self.trailer = end.split_off(split);
        self.hasher = boundary.hasher;
        self.hasher.update(&end);
        self.midstate = boundary.midstate;
        self.tail = end;
        self.len = at;
        Ok(())
    }

    /// Gives the output `bytes` after an appended suffix that the input does not hold: the line
    /// break that ends a suffix on lines of its own after the file's last line break
    /// ([`crate::placement`]).
    pub fn add_after_suffix(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        if !self.trailer.is_empty() {
            anyhow::bail!("internal error: the suffix of {} was placed twice", self.describe());
        }
        self.trailer = bytes.to_vec();
        self.added_after = bytes.len();
        Ok(())
    }

    /// The head (the content before the suffix) from its first byte, for copying into the output.
    pub fn reader(&self) -> Box<dyn Read + '_> {
        self.reader_from(0)
    }

    /// The head from byte `offset` on.
    pub fn reader_from(&self, offset: u64) -> Box<dyn Read + '_> {
        Box::new(self.whole_from(offset).take(self.len.saturating_sub(offset)))
    }

    /// The input's bytes, trailer included (but not bytes added after the suffix), from byte
    /// `offset` on.
    pub fn whole_from(&self, offset: u64) -> Box<dyn Read + '_> {
        match &self.source {
            ContentSource::File { file, .. } | ContentSource::Spooled { file, .. } => {
                Box::new(PositionedReader { file, position: offset })
            }
            ContentSource::Memory { bytes, .. } => Box::new(&bytes[(offset as usize).min(bytes.len())..]),
        }
    }

    /// The input in words, for messages.
    pub fn describe(&self) -> String {
        match &self.source {
            ContentSource::File { path, .. } => path.display().to_string(),
            ContentSource::Spooled { name, .. } | ContentSource::Memory { name, .. } => name.clone(),
        }
    }

    /// Was the content read from a regular file (which --in-place can replace)?
    pub fn is_regular_file(&self) -> bool {
        matches!(self.source, ContentSource::File { .. })
    }
}

impl ContentSource {
    /// Bytes held in a spool: in memory, or in its anonymous temporary file.
    fn kept(spool: tempfile::SpooledTempFile, name: &str) -> ContentSource {
        match spool.into_inner() {
            tempfile::SpooledData::InMemory(cursor) => {
                ContentSource::Memory { bytes: cursor.into_inner(), name: name.into() }
            }
            tempfile::SpooledData::OnDisk(file) => ContentSource::Spooled { file, name: name.into() },
        }
    }
}

/// Reads a file from a position of its own (pread), so the one open handle is never moved.
struct PositionedReader<'a> {
    file: &'a File,
    position: u64,
}

impl Read for PositionedReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(self.file, buf, self.position)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(self.file, buf, self.position)?;
        self.position += n as u64;
        Ok(n)
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
            assert_eq!(c.midstate[..4], expected);
            let mut copy = Vec::new();
            c.reader().read_to_end(&mut copy).unwrap();
            assert_eq!(copy, bytes);
        }
    }

    /// A suffix placed before the last bytes hashes from the boundary before them, however the
    /// reads fell (a big input is read in pieces that grow).
    #[test]
    fn a_placed_suffix_splits_head_and_trailer() {
        for len in [0usize, 5, 63, 64, 65, 129, 100_000, 300_007] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 13 + 7) as u8).collect();
            for trailer in [0usize, 1, 2, 40, 64].into_iter().filter(|&t| t <= len) {
                let mut c = Content::from_bytes(&bytes);
                c.place_suffix_before(trailer).unwrap();
                let head = &bytes[..len - trailer];
                assert_eq!((c.len, c.trailer.as_slice()), (head.len() as u64, &bytes[len - trailer..]));
                assert_eq!(c.tail, &head[head.len() / 64 * 64..]);
                let mut expected = crate::steps::INITIAL_STATE;
                let (blocks, _) = head.as_chunks::<64>();
                md5::block_api::compress(&mut expected, blocks);
                assert_eq!(c.midstate[..4], expected, "len {len} trailer {trailer}");
                assert_eq!(
                    crate::recheck::md5_with_suffix(&c, b"  "),
                    crate::recheck::md5_of(&[head, b"  ", &bytes[len - trailer..]].concat())
                );
                let mut copy = Vec::new();
                c.reader().read_to_end(&mut copy).unwrap();
                assert!(copy == head);
            }
        }
    }

    #[test]
    fn one_time_inputs_past_the_memory_bound_are_kept_on_disk() {
        let bytes: Vec<u8> = (0..SPOOL_IN_MEMORY + 100).map(|i| (i % 251) as u8).collect();
        let c = Content::read_once(bytes.as_slice(), "a pipe").unwrap();
        assert!(matches!(c.source, ContentSource::Spooled { .. }));
        let mut copy = Vec::new();
        c.reader().read_to_end(&mut copy).unwrap();
        assert!(copy == bytes, "the spooled copy differs");
        assert_eq!(c.describe(), "a pipe");
    }
}
