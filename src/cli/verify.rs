//! `ghostsum verify`: an md5sum-style line, the verdict, and what the file's suffix is made of.

use super::VerifyArgs;
use crate::alphabet::Alphabet;
use crate::exit::Exit;
use crate::input::Content;
use crate::kind::{ChosenKind, FileKind};
use crate::layout::min_suffix_len;
use crate::stdio::{print_bytes_line, print_line};
use crate::target::hex;
use std::io::Read;

pub(super) fn run(args: VerifyArgs) -> anyhow::Result<Exit> {
    if args.file == std::path::Path::new("-") && args.original.as_deref() == Some(std::path::Path::new("-")) {
        anyhow::bail!("the file and --original are both standard input (-), which can be read only once; give one of them as a file");
    }
    let prefix = args.address.prefix(&args.prefix)?;
    let mut content = Content::read(&args.file)?;
    content.set_address(args.address.address());
    let digest = content.digest_with_suffix(b"")?;
    let kind = ChosenKind::decide(args.kind.for_kind, &[&args.file]);
    let symbols = SuffixSymbols::new(args.alphabet.as_ref());
    let trailing = trailing_run(&content, &symbols)?;
    let original =
        args.original.as_ref().map(|path| extends_original(&content, path, &symbols, kind.kind)).transpose()?;
    // As md5sum writes it: a name with a newline or a backslash is escaped, and its
    // md5sum line starts with a backslash, so one file is always one line; its other bytes
    // are written as the system holds them (not UTF-8 either), so `md5sum -c` finds the file.
    let (escaped, name_bytes) = escape_name_bytes(&path_bytes(&args.file));
    let name = String::from_utf8_lossy(&name_bytes).into_owned();
    let matches = prefix.matches_digest(&digest);
    // The symbols that make up the suffix: after the original when it is given, else the
    // file's whole trailing run (which includes any whitespace the content ended with).
    let suffix_counts = match &original {
        Some(Extension::Symbols { counts, .. }) => counts,
        _ => &trailing,
    };
    let shown: Vec<&str> = symbols.present(suffix_counts).filter_map(|s| crate::kind::shows(kind.kind, s)).collect();
    let a_kind = format!("{} file ({})", kind.kind, kind.source_text());
    // What --strict asks: the file is its content plus a suffix no viewer of its kind shows.
    let changes = match &original {
        Some(Extension::Symbols { changes, .. }) => changes.as_slice(),
        _ => &[],
    };
    let why_not = match &original {
        Some(Extension::Other(why)) => Some(why.clone()),
        _ if !shown.is_empty() => Some(format!("{}; it is a {a_kind}", shown.join("; "))),
        Some(Extension::Symbols { .. }) if !changes.is_empty() => {
            Some(format!("{}; it is a {a_kind}", changes.join("; ")))
        }
        Some(Extension::Symbols { .. }) => None,
        None => {
            let total = trailing.iter().sum::<u64>();
            let radix = symbols.radix_of(&trailing, kind.kind);
            let needed = min_suffix_len(radix, prefix.bits()) as u64;
            (total < needed).then(|| {
                format!(
                    "it ends in {total} {} symbols, and a search for {} appends at least {needed}; \
                     a file that had the prefix already is left as it was: check it with --original",
                    symbols.label(),
                    args.prefix
                )
            })
        }
    };
    let ok = matches && (why_not.is_none() || !args.strict);
    if !args.quiet {
        // md5sum's line, then the verdict, as `md5sum -c` words it, then the suffix.
        let md5sum_line = format!("{}{}  ", if escaped { "\\" } else { "" }, hex(&digest));
        print_bytes_line(&[md5sum_line.as_bytes(), &name_bytes].concat())?;
        let verdict = match (matches, ok, &why_not) {
            (true, true, _) => "OK".to_string(),
            (true, false, Some(why)) => format!("FAILED (--strict: {why})"),
            _ => "FAILED".to_string(),
        };
        print_bytes_line(&[&name_bytes, format!(": {verdict} (prefix {})", args.prefix).as_bytes()].concat())?;
        let suffix = match &original {
            Some(Extension::Symbols { counts, at, .. }) => format!(
                "{} plus {} at byte {at}",
                args.original.as_ref().expect("an extension of --original").display(),
                symbols.describe(counts)
            ),
            Some(Extension::Other(why)) => why.clone(),
            None => format!("ends in {}", symbols.describe(&trailing)),
        };
        print_line(format!("{name}: suffix: {suffix}"))?;
        if !shown.is_empty() && !args.strict {
            print_line(format!("{name}: visible: {}; it is a {a_kind}", shown.join("; ")))?;
        }
        if !changes.is_empty() && !args.strict {
            print_line(format!("{name}: changed: {}; it is a {a_kind}", changes.join("; ")))?;
        }
        if !matches && symbols.looks_trimmed(&trailing) {
            print_line(format!(
                "{name}: note: it ends in no suffix: if it was never searched, search it first \
                 (ghostsum search FILE -p PREFIX -o OUT); if it was, an editor's trim-trailing-whitespace, git's \
                 whitespace fix (git apply --whitespace=fix) or a server that strips trailing blanks may \
                 have removed it; keep the file out of them (EditorConfig trim_trailing_whitespace = \
                 false, .gitattributes '{} -whitespace'), or search again with --alphabet zero-width, \
                 which trimming and git keep (but vim shows it)",
                escape_name(&args.file.file_name().map(|f| f.to_string_lossy()).unwrap_or_default()).1
            ))?;
        }
    }
    Ok(if ok { Exit::Done } else { Exit::Mismatch })
}

/// The symbols verify counts as a suffix: the alphabet named with --alphabet, or every symbol
/// of the named alphabets (of one byte and of three, so a zero-width suffix is seen too).
struct SuffixSymbols {
    alphabet: Option<Alphabet>,
    symbols: Vec<Vec<u8>>,
}

impl SuffixSymbols {
    fn new(alphabet: Option<&Alphabet>) -> Self {
        let symbols = match alphabet {
            Some(a) => a.symbols().to_vec(),
            None => Alphabet::named_symbols(),
        };
        SuffixSymbols { alphabet: alphabet.cloned(), symbols }
    }

    /// "space-tab" when an alphabet was named, else "suffix".
    fn label(&self) -> String {
        self.alphabet.as_ref().map_or_else(|| "suffix".to_string(), |a| a.name().to_string())
    }

    /// Peels symbols off the end of `bytes`, counting each; returns how many bytes are left.
    fn peel(&self, bytes: &[u8], counts: &mut [u64]) -> usize {
        let mut left = bytes.len();
        while let Some(i) = self.symbols.iter().position(|s| bytes[..left].ends_with(s)) {
            counts[i] += 1;
            left -= self.symbols[i].len();
        }
        left
    }

    /// The symbols that occur in `counts`.
    fn present<'a>(&'a self, counts: &'a [u64]) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.symbols.iter().zip(counts).filter(|(_, &n)| n > 0).map(|(s, _)| s.as_slice())
    }

    /// The base a search with these symbols counted in: the named alphabet's, else the largest
    /// named alphabet that holds every symbol present (fewest symbols needed), else the kind's.
    fn radix_of(&self, counts: &[u64], kind: FileKind) -> u32 {
        if let Some(a) = &self.alphabet {
            return a.radix();
        }
        let present: Vec<&[u8]> = self.present(counts).collect();
        Alphabet::named()
            .iter()
            .filter(|a| present.iter().all(|p| a.symbols().iter().any(|s| s == p)))
            .map(Alphabet::radix)
            .max()
            .filter(|_| !present.is_empty())
            .unwrap_or_else(|| kind.default_alphabet().radix())
    }

    /// "19 suffix symbols (21 bytes: space, tab, LF)".
    fn describe(&self, counts: &[u64]) -> String {
        let total: u64 = counts.iter().sum();
        let bytes: u64 = self.symbols.iter().zip(counts).map(|(s, n)| s.len() as u64 * n).sum();
        let names: Vec<String> = self.present(counts).map(symbol_name).collect();
        let which = if names.is_empty() { String::new() } else { format!(": {}", names.join(", ")) };
        format!("{total} {} symbols ({bytes} bytes{which})", self.label())
    }

    /// True when the file ends in nothing a search appends: no symbol, or one line ending.
    fn looks_trimmed(&self, counts: &[u64]) -> bool {
        let total: u64 = counts.iter().sum();
        let lf = self.symbols.iter().position(|s| s == b"\n").map_or(0, |i| counts[i]);
        total == 0 || (total == 1 && lf == 1)
    }
}

/// A symbol as people name it: space, tab, LF, VT, FF, U+200B, or its hex bytes.
fn symbol_name(symbol: &[u8]) -> String {
    match symbol {
        b" " => "space".into(),
        b"\t" => "tab".into(),
        b"\n" => "LF".into(),
        b"\r\n" => "CRLF".into(),
        b"\x0b" => "VT".into(),
        b"\x0c" => "FF".into(),
        _ => match std::str::from_utf8(symbol).ok().and_then(|s| s.chars().next().filter(|_| s.chars().count() == 1)) {
            Some(c) if !c.is_ascii() => format!("U+{:04X}", c as u32),
            _ => hex(symbol),
        },
    }
}

/// How many of each symbol end the content, read back from its end 64 KiB at a time.
fn trailing_run(content: &Content, symbols: &SuffixSymbols) -> anyhow::Result<Vec<u64>> {
    let mut counts = vec![0u64; symbols.symbols.len()];
    let mut end = content.len;
    while end > 0 {
        let start = end.saturating_sub(1 << 16);
        let mut buf = vec![0u8; (end - start) as usize];
        content
            .reader_from(start)
            .read_exact(&mut buf)
            .map_err(|e| crate::io_error::on("read", &content.describe(), &e))?;
        let left = symbols.peel(&buf, &mut counts);
        match left {
            0 => end = start,
            // A multi-byte symbol may straddle the read's start: read again ending here.
            1..4 if start > 0 && left < buf.len() => end = start + left as u64,
            _ => break,
        }
    }
    Ok(counts)
}

/// Is the file the original with suffix symbols inserted?
enum Extension {
    /// Yes: this many of each symbol, at this byte of the original; and what that changes
    /// for a person or a reader (empty: nothing).
    Symbols { counts: Vec<u64>, at: u64, changes: Vec<String> },
    /// No, and why.
    Other(String),
}

/// The most of an original that --original reads to see what an insertion changes (the
/// rest is compared streaming).
const READ_FOR_CHANGES: u64 = crate::meaning::MAX_PROVEN_BYTES;

/// Compares the file with ORIGINAL: the file must be ORIGINAL with symbols inserted at one
/// place (a search puts them before the final line break; with `--place end` after the last
/// byte). Both are read streaming, so a 3 GB file costs no memory.
fn extends_original(
    content: &Content,
    original: &std::path::Path,
    symbols: &SuffixSymbols,
    kind: FileKind,
) -> anyhow::Result<Extension> {
    let source = Content::read(original)?;
    let (n, m) = (source.len, content.len);
    if n > m {
        return Ok(Extension::Other(format!("shorter than {}", original.display())));
    }
    let added = m - n;
    let read_err = |what: &str| {
        let what = what.to_string();
        move |e: std::io::Error| crate::io_error::on("read", &what, &e)
    };
    let differs_at = first_difference(&mut source.reader(), &mut content.reader(), n).map_err(read_err(&format!(
        "{} or {}",
        original.display(),
        content.describe()
    )))?;
    let rest = n - differs_at;
    let (mut source_rest, mut content_rest) = (source.reader_from(differs_at), content.reader_from(differs_at + added));
    if rest > 0
        && first_difference(&mut source_rest, &mut content_rest, rest).map_err(read_err(&content.describe()))? < rest
    {
        return Ok(Extension::Other(format!(
            "is not {} with symbols inserted: they differ from byte {differs_at} on",
            original.display()
        )));
    }
    // The inserted bytes start at the first difference, or up to a few bytes before it where
    // the bytes repeat (an LF-first suffix before a final LF differs only after its LF): the
    // leftmost start whose bytes are all symbols is the one a search used.
    let mut starts = vec![differs_at];
    while added <= 1 << 20 && starts.len() <= 4 {
        let at = starts[starts.len() - 1];
        if at == 0 || !repeats(content, at - 1, added)? {
            break;
        }
        starts.push(at - 1);
    }
    let mut found = None;
    for &at in starts.iter().rev() {
        let mut inserted = content.reader_from(at).take(added);
        if let Some(counts) = count_symbols(&mut inserted, symbols).map_err(read_err(&content.describe()))? {
            found = Some((at, counts));
            break;
        }
    }
    let Some((at, counts)) = found else {
        return Ok(Extension::Other(format!(
            "{} plus {added} bytes that are not all {} symbols",
            original.display(),
            symbols.label()
        )));
    };
    let changes = if m <= READ_FOR_CHANGES {
        let original_bytes = read_all(&source)?;
        let mut inserted = Vec::new();
        content.reader_from(at).take(added).read_to_end(&mut inserted).map_err(read_err(&content.describe()))?;
        crate::changes::Insertion { original: &original_bytes, at: at as usize, inserted: &inserted }.changes(kind)
    } else {
        Vec::new()
    };
    Ok(Extension::Symbols { counts, at, changes })
}

/// Whether the byte at `at` equals the one `added` bytes after it (the insertion can start
/// there instead).
fn repeats(content: &Content, at: u64, added: u64) -> anyhow::Result<bool> {
    let byte = |offset: u64| -> anyhow::Result<u8> {
        let mut b = [0u8];
        content
            .reader_from(offset)
            .read_exact(&mut b)
            .map_err(|e| crate::io_error::on("read", &content.describe(), &e))?;
        Ok(b[0])
    };
    Ok(byte(at)? == byte(at + added)?)
}

fn read_all(content: &Content) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    content.reader().read_to_end(&mut bytes).map_err(|e| crate::io_error::on("read", &content.describe(), &e))?;
    Ok(bytes)
}

/// The first of `len` bytes where `a` and `b` differ (`len` when none do), read 64 KiB at a
/// time.
fn first_difference(a: &mut dyn Read, b: &mut dyn Read, len: u64) -> std::io::Result<u64> {
    let (mut x, mut y) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    let mut done = 0;
    while done < len {
        let n = ((len - done) as usize).min(x.len());
        a.read_exact(&mut x[..n])?;
        b.read_exact(&mut y[..n])?;
        if let Some(i) = x[..n].iter().zip(&y[..n]).position(|(p, q)| p != q) {
            return Ok(done + i as u64);
        }
        done += n as u64;
    }
    Ok(len)
}

/// How many of each symbol `bytes` is made of, read streaming; None when it holds anything
/// else.
fn count_symbols(bytes: &mut dyn Read, symbols: &SuffixSymbols) -> std::io::Result<Option<Vec<u64>>> {
    let mut counts = vec![0u64; symbols.symbols.len()];
    let mut pending: Vec<u8> = Vec::new();
    let mut y = vec![0u8; 1 << 16];
    loop {
        let n = loop {
            match bytes.read(&mut y) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        pending.extend_from_slice(&y[..n]);
        let mut at = 0;
        while at < pending.len() {
            match symbols.symbols.iter().position(|s| pending[at..].starts_with(s)) {
                Some(i) => {
                    counts[i] += 1;
                    at += symbols.symbols[i].len();
                }
                // A symbol cut by the read's end: completed by the next read.
                None if n > 0 && symbols.symbols.iter().any(|s| s.starts_with(&pending[at..])) => break,
                None => return Ok(None),
            }
        }
        pending.drain(..at);
        if n == 0 {
            return Ok(pending.is_empty().then_some(counts));
        }
    }
}

/// A file name as md5sum prints it: backslashes and newlines escaped (`\\`, `\n`), and
/// whether any were.
fn escape_name(name: &str) -> (bool, String) {
    let (escaped, bytes) = escape_name_bytes(name.as_bytes());
    (escaped, String::from_utf8_lossy(&bytes).into_owned())
}

/// [`escape_name`] on a name's bytes.
fn escape_name_bytes(name: &[u8]) -> (bool, Vec<u8>) {
    let mut out = Vec::with_capacity(name.len());
    let mut escaped = false;
    for &b in name {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => {
                out.push(b);
                continue;
            }
        }
        escaped = true;
    }
    (escaped, out)
}

/// A path's bytes as the system holds them.
fn path_bytes(path: &std::path::Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec()
    }
    #[cfg(not(unix))]
    {
        path.display().to_string().into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_as_md5sum_does() {
        assert_eq!(escape_name("a.txt"), (false, "a.txt".into()));
        assert_eq!(escape_name("a\nb\\c"), (true, "a\\nb\\\\c".into()));
    }

    #[test]
    fn peel_counts_whole_symbols_back_from_the_end() {
        let whitespace = SuffixSymbols::new(Some(&Alphabet::whitespace()));
        let mut counts = vec![0; whitespace.symbols.len()];
        assert_eq!(whitespace.peel(b"x \t\n", &mut counts), 1);
        assert_eq!(counts.iter().sum::<u64>(), 3);
        let mut counts = vec![0; whitespace.symbols.len()];
        assert_eq!(whitespace.peel(b" x", &mut counts), 2);
        assert_eq!(counts.iter().sum::<u64>(), 0);
        // Every named symbol at once: one-byte and three-byte ones mixed.
        let every = SuffixSymbols::new(None);
        let mut counts = vec![0; every.symbols.len()];
        assert_eq!(every.peel("a\u{200b} \u{2060}\n".as_bytes(), &mut counts), 1);
        assert_eq!(every.describe(&counts), "4 suffix symbols (8 bytes: space, LF, U+200B, U+2060)");
    }
}
