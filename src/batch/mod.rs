//! Linked documents: every page's prefix is chosen first, placeholders become addresses,
//! then each page's suffix is searched. Since no address depends on a search result, links
//! may form any graph, cycles and self-links included.

pub mod manifest;
pub mod pace;
pub mod split;

use crate::alphabet::Alphabet;
use crate::input::Content;
use crate::target::Prefix;
use manifest::{Manifest, Page};
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

/// The longest text between `{{` and `}}` read as a placeholder; a longer one is plain text.
/// It bounds what the streaming resolver holds back, so a page of any size resolves in
/// constant memory.
pub const PLACEHOLDER_MAX: usize = 1024;

/// The page text with `{{url:NAME}}` and `{{prefix:NAME}}` replaced (in memory; tests).
pub fn resolve_placeholders(manifest: &Manifest, page: &Page, text: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    resolve_into(manifest, page, text, &mut out)?;
    Ok(out)
}

/// Streams the page from `source` into `out` with its placeholders replaced, holding at
/// most a chunk and one placeholder's worth of text.
pub fn resolve_into(
    manifest: &Manifest,
    page: &Page,
    mut source: impl Read,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    const CHUNK: usize = 64 << 10;
    let write = |out: &mut dyn Write, bytes: &[u8]| {
        out.write_all(bytes).map_err(|e| crate::io_error::on("keep", &format!("page '{}'", page.name), &e))
    };
    let mut pending: Vec<u8> = Vec::with_capacity(2 * CHUNK + PLACEHOLDER_MAX);
    let mut at = 0usize; // the next byte of `pending` to look at
    let mut line = 1usize; // the line of pending[at]
    let mut eof = false;
    loop {
        // Enough ahead that a placeholder starting in the first chunk is whole in `pending`.
        while !eof && pending.len() - at < CHUNK + PLACEHOLDER_MAX + 4 {
            if at > 0 {
                pending.drain(..at);
                at = 0;
            }
            let old = pending.len();
            pending.resize(old + CHUNK, 0);
            let n = loop {
                match source.read(&mut pending[old..]) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    other => break other.map_err(|e| crate::io_error::at("read", &page.source, &e))?,
                }
            };
            pending.truncate(old + n);
            eof = n == 0;
        }
        let ahead = &pending[at..];
        if ahead.is_empty() {
            return Ok(());
        }
        // Text up to the next `{{`, or up to the chunk's end (less a `{` that may open one).
        let text_len = match find(&ahead[..ahead.len().min(CHUNK)], b"{{") {
            Some(start) => start,
            None if eof => ahead.len().min(CHUNK),
            None => ahead.len().min(CHUNK) - 1,
        };
        if text_len > 0 {
            write(out, &ahead[..text_len])?;
            line += newlines(&ahead[..text_len]);
            at += text_len;
            continue;
        }
        if !ahead.starts_with(b"{{") {
            // A lone `{` held back at a chunk's end, now known not to open a placeholder.
            write(out, &ahead[..1])?;
            at += 1;
            continue;
        }
        let window = &ahead[2..ahead.len().min(2 + PLACEHOLDER_MAX + 2)];
        let placeholder = find(window, b"}}").and_then(|end| {
            let inner = String::from_utf8_lossy(&window[..end]).into_owned();
            let (kind, name) = inner.split_once(':').filter(|(kind, _)| *kind == "url" || *kind == "prefix")?;
            Some((kind.to_string(), name.to_string(), 2 + end + 2))
        });
        let Some((kind, name, len)) = placeholder else {
            // Not ours ({{ in the text itself): kept, and the search goes on from its second
            // brace, so that "{{{url:a}}" still finds the placeholder inside.
            write(out, b"{")?;
            at += 1;
            continue;
        };
        let target = manifest.page_named(name.trim()).ok_or_else(|| {
            anyhow::anyhow!(
                "{}:{line}: {{{{{kind}:{name}}}}} names no page in {}",
                page.source.display(),
                manifest.path.display()
            )
        })?;
        let value = if kind == "url" { manifest.address(target) } else { target.prefix.hex().to_string() };
        write(out, value.as_bytes())?;
        line += newlines(&ahead[..len]);
        at += len;
    }
}

fn newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A page finished by an earlier run: its output's digest and suffix length.
pub struct FinishedPage {
    /// The existing output's digest (its address's: MD5 or git's id).
    pub digest: Vec<u8>,
    /// Its suffix length in symbols.
    pub suffix_len: usize,
}

/// Most suffix bytes an earlier run's output may end in to be taken as finished: far more
/// than any search appends, and it bounds what is read past the page.
const SUFFIX_MAX_BYTES: u64 = 64 << 10;

/// Does an existing output already hold this page, finished? (Then a re-run skips it.) It
/// must be the page with a suffix of the alphabet's symbols at the page's place (before the
/// content's trailer). Only a regular file can; it is read streaming, so a leftover of any
/// size costs no memory.
pub fn already_done(output: &Path, content: &Content, prefix: &Prefix, alphabet: &Alphabet) -> Option<FinishedPage> {
    if !std::fs::metadata(output).ok()?.is_file() {
        return None;
    }
    let mut file = open_without_waiting(output).ok()?;
    let meta = file.metadata().ok()?;
    let suffix_len = meta.len().checked_sub(content.total_len())?;
    if !meta.is_file() || suffix_len > SUFFIX_MAX_BYTES {
        return None;
    }
    let mut hasher = content.output_hasher(suffix_len);
    // Pieces of up to a MiB, no bigger than the page: most pages are small.
    let piece = content.len.clamp(1, 1 << 20) as usize;
    let (mut mine, mut theirs) = (vec![0u8; piece], vec![0u8; piece]);
    let mut page = content.reader();
    loop {
        let n = read_full(&mut page, &mut mine).ok()?;
        if n == 0 {
            break;
        }
        if read_full(&mut file, &mut theirs[..n]).ok()? != n || mine[..n] != theirs[..n] {
            return None;
        }
        hasher.update(&mine[..n]);
    }
    let trailer = &content.trailer;
    let mut rest = Vec::new();
    (&mut file).take(SUFFIX_MAX_BYTES + trailer.len() as u64 + 1).read_to_end(&mut rest).ok()?;
    hasher.update(&rest);
    let digest = hasher.finalize();
    let suffix = rest.strip_suffix(trailer.as_slice())?;
    (suffix.len() as u64 == suffix_len && alphabet.spells(suffix) && prefix.matches_digest(&digest))
        .then(|| FinishedPage { digest, suffix_len: suffix.len() / alphabet.width() })
}

/// Opens for reading without waiting on a FIFO swapped in since the check.
fn open_without_waiting(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Reads until `buf` is full or the reader ends.
fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
