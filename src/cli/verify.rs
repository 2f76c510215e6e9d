//! `ghostsum verify`: an md5sum-style line, the verdict, and what the file's suffix is made of.

use super::{VerifyArgs, EXIT_MISMATCH};
use crate::alphabet::Alphabet;
use crate::input::Content;
use crate::layout::min_suffix_len;
use crate::stdio::print_line;
use crate::target::hex;
use std::io::Read;

pub(super) fn run(args: VerifyArgs) -> anyhow::Result<i32> {
    let content = Content::read(&args.file)?;
    let digest = crate::recheck::md5_with_suffix(&content.hasher, b"");
    let trailing = trailing_symbols(&content, &args.alphabet)?;
    let original = args.original.as_ref().map(|path| extends_original(&content, path, &args.alphabet)).transpose()?;
    let name = args.file.display();
    let matches = args.prefix.matches_digest(&digest);
    // What --strict asks: the file is its content plus an invisible suffix.
    let (invisible, why_not) = match &original {
        Some(Extension::Symbols(_)) => (true, String::new()),
        Some(Extension::Other(why)) => (false, why.clone()),
        None => {
            let needed = min_suffix_len(args.alphabet.radix(), args.prefix.bits()) as u64;
            let ok = trailing >= needed;
            (
                ok,
                format!(
                    "it ends in {trailing} {} symbols, and a search for {} appends at least {needed}; \
                     a file that had the prefix already is left as it was: check it with --original",
                    args.alphabet, args.prefix
                ),
            )
        }
    };
    let ok = matches && (invisible || !args.strict);
    if !args.quiet {
        // md5sum's line, then the verdict, as `md5sum -c` words it, then the suffix.
        print_line(format!("{}  {name}", hex(&digest)))?;
        let verdict = match (matches, ok) {
            (true, true) => "OK".to_string(),
            (true, false) => format!("FAILED (--strict: {why_not})"),
            _ => "FAILED".to_string(),
        };
        print_line(format!("{name}: {verdict} (prefix {})", args.prefix))?;
        let suffix = match &original {
            Some(Extension::Symbols(n)) => {
                format!("{} plus {n} {} symbols", args.original.as_ref().unwrap().display(), args.alphabet)
            }
            Some(Extension::Other(why)) => why.clone(),
            None => format!(
                "ends in {trailing} {} symbols ({} bytes)",
                args.alphabet,
                trailing * args.alphabet.width() as u64
            ),
        };
        print_line(format!("{name}: suffix: {suffix}"))?;
    }
    Ok(if ok { 0 } else { EXIT_MISMATCH })
}

/// How many whole alphabet symbols end the content, read back from its end a block at a time.
fn trailing_symbols(content: &Content, alphabet: &Alphabet) -> anyhow::Result<u64> {
    let width = alphabet.width() as u64;
    let mut end = content.len;
    let mut count = 0u64;
    while end >= width {
        let start = end - (end / width).min(4096) * width;
        let mut buf = vec![0u8; (end - start) as usize];
        content
            .reader_from(start)
            .read_exact(&mut buf)
            .map_err(|e| crate::io_error::on("read", &content.describe(), &e))?;
        let n = alphabet.trailing_symbols(&buf) as u64;
        count += n;
        if n * width < buf.len() as u64 {
            break;
        }
        end = start;
    }
    Ok(count)
}

/// Is the file the original followed by alphabet symbols only?
enum Extension {
    /// Yes, with this many symbols.
    Symbols(u64),
    /// No, and why.
    Other(String),
}

fn extends_original(content: &Content, original: &std::path::Path, alphabet: &Alphabet) -> anyhow::Result<Extension> {
    let source = Content::read(original)?;
    if source.len > content.len {
        return Ok(Extension::Other(format!("shorter than {}", original.display())));
    }
    let (mut a, mut b) = (source.reader(), content.reader());
    let (mut x, mut y) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    let mut left = source.len;
    while left > 0 {
        let n = (left as usize).min(x.len());
        a.read_exact(&mut x[..n]).map_err(|e| crate::io_error::at("read", original, &e))?;
        b.read_exact(&mut y[..n]).map_err(|e| crate::io_error::on("read", &content.describe(), &e))?;
        if x[..n] != y[..n] {
            return Ok(Extension::Other(format!("does not start with the bytes of {}", original.display())));
        }
        left -= n as u64;
    }
    let mut rest = Vec::new();
    b.read_to_end(&mut rest).map_err(|e| crate::io_error::on("read", &content.describe(), &e))?;
    if alphabet.spells(&rest) {
        Ok(Extension::Symbols((rest.len() / alphabet.width()) as u64))
    } else {
        Ok(Extension::Other(format!(
            "{} plus {} bytes that are not all {alphabet} symbols",
            original.display(),
            rest.len()
        )))
    }
}
