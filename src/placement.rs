//! Where a file's suffix goes, and with which symbols: after the file's last line break on
//! lines of its own, so the file still ends the way it did (in its own line break, or in its
//! last line as it was), with the file's own line ending, and only where the file's reader
//! proves the meaning kept.
//!
//! ```text
//!  a file that ends in a line break:      ... last line\n[ suffix ]\n       added: "\n"
//!  CRLF lines:                            ... last line\r\n[ suffix ]\r\n   added: "\r\n"
//!  no final line break (last line kept):  ... last line[ suffix ]          LF first
//!  where the reader refuses those:        ... line n-1[ suffix ]\nline n\n  trailer: "\nline n\n"
//! ```
//!
//! The suffix's lowest digit is a space, so its leading symbols (the high digits, zeros for
//! every index a search reaches) are blanks on one line; the line break added after it
//! (bytes the input does not hold, constant, in the final MD5 block) keeps the file ending
//! in a line break. A file without a final line break gets the suffix after its last byte
//! with the line break as the lowest digit, so the suffix starts on a new line. When the
//! file's reader ([`crate::meaning`]) reads a different value with the first suffixes the
//! search would try, the suffix moves before the last line break, then up a line break at a
//! time (LF first, so the line it follows keeps its text), while the content after it fits in
//! the final MD5 block ([`MAX_TRAILER`]); where no place keeps the meaning, the search is
//! refused before it starts.

use crate::alphabet::Alphabet;
use crate::input::Content;
use crate::kind::FileKind;
use crate::layout::min_suffix_len;
use crate::meaning::{MeaningCheck, Reader};
use std::io::Read;

/// The most content bytes that can follow the suffix: they share the final MD5 block with
/// enough of the suffix's digits for a segment.
pub const MAX_TRAILER: usize = 32;
/// How much of the file's end is read to find its line breaks.
const LOOK_BACK: u64 = 1024;

/// Where the suffix goes (`--place`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PlaceMode {
    /// Before the file's last line break, proven by its reader (see the module's note).
    #[default]
    Auto,
    /// Appended after the last byte, as ghostsum did before 2026-12: a file without a final
    /// line break then gets the suffix on its last line.
    End,
}

/// The line ending a file uses, from its last line break.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineEnding {
    /// `\n`.
    Lf,
    /// `\r\n`.
    Crlf,
}

/// The chosen place, and the symbols for it.
#[derive(Debug)]
pub struct Placement {
    /// Content bytes kept after the suffix.
    pub trailer_len: usize,
    /// Bytes the output gets after the suffix that the input does not hold (a line break).
    pub added: Vec<u8>,
    /// The suffix's symbols.
    pub alphabet: Alphabet,
    /// The file's line ending.
    pub ending: LineEnding,
    /// Where, in words: "before the final line break", "at the end of line 3, before the
    /// last line (no final line break)", "after the last byte".
    pub describe: String,
    /// The file's reader, checking every hit, when its kind has one.
    pub meaning: Option<MeaningCheck>,
    /// A note for the user when the place is not the one asked for.
    pub note: Option<String>,
}

/// What the choice starts from.
pub struct Request<'a> {
    /// The file's kind.
    pub kind: FileKind,
    /// `--alphabet`, if given.
    pub alphabet: Option<&'a Alphabet>,
    /// `--place`.
    pub mode: PlaceMode,
    /// The target's bits (the first suffix's length depends on it).
    pub bits: u32,
}

impl Placement {
    /// Puts the suffix at its place in `content`.
    pub fn apply(&self, content: &mut Content) -> anyhow::Result<()> {
        if self.added.is_empty() {
            content.place_suffix_before(self.trailer_len)
        } else {
            content.add_after_suffix(&self.added)
        }
    }
}

/// Chooses the place for `content`'s suffix (read from its end; the whole file only for a
/// kind with a reader). Errors are refusals in one line: the construct, its line, and what
/// the user can do.
pub fn choose(content: &Content, request: &Request) -> anyhow::Result<Placement> {
    let name = content.describe();
    let total = content.total_len();
    let end = read_from(content, total.saturating_sub(LOOK_BACK))?;
    let ending = ending_of(&end);
    let alphabet = alphabet_for(request, ending, &name)?;
    let reader = Reader::of(request.kind);
    if reader.is_some() && total > crate::meaning::MAX_PROVEN_BYTES {
        anyhow::bail!(
            "{name} is {total} bytes, more than the {} MiB whose meaning ghostsum proves for a {} file; \
             pass --for text to search it without the proof",
            crate::meaning::MAX_PROVEN_BYTES >> 20,
            request.kind
        );
    }
    let check = match reader {
        Some(reader) => Some(MeaningCheck::new(reader, read_from(content, 0)?).map_err(|why| {
            anyhow::anyhow!(
                "{name}: the {} cannot read it as it is: {why}; fix it, or if the file is right, pass --for text to search it without the proof",
                reader.name()
            )
        })?),
        None => None,
    };
    let places = match request.mode {
        PlaceMode::End => vec![Place {
            trailer_len: 0,
            added: Vec::new(),
            alphabet: alphabet.clone(),
            describe: "after the last byte (--place end)".into(),
        }],
        PlaceMode::Auto => places(&end, ending, &alphabet),
    };
    let mut refusals = Vec::new();
    for place in places {
        let Some(check) = &check else {
            let note = note(&place, &end, request.mode);
            return Ok(Placement::at(place, ending, None, note));
        };
        let placed = match place.added.is_empty() {
            true => check.placed_before(place.trailer_len),
            false => check.appended_with(&place.added),
        };
        let placed = match placed {
            Ok(placed) => placed,
            Err(why) => {
                refusals.push(format!("{}: {why}", place.describe));
                continue;
            }
        };
        match probes(&place.alphabet, request.bits).iter().find_map(|suffix| placed.changed(suffix)) {
            None => {
                let note = note(&place, &end, request.mode);
                return Ok(Placement::at(place, ending, Some(placed), note));
            }
            Some(why) => refusals.push(format!("{} (line {}): {why}", place.describe, placed.line())),
        }
    }
    let tried = refusals.first().cloned().unwrap_or_else(|| "no place".into());
    anyhow::bail!(
        "{name}: no place for a suffix keeps what the {} reads ({tried}{}); {}",
        reader.map_or("reader", Reader::name),
        if refusals.len() > 1 { format!(", and {} more places", refusals.len() - 1) } else { String::new() },
        advice(request.kind)
    )
}

/// A candidate place: the trailer it leaves, the bytes it adds after the suffix, its
/// symbols, in words.
struct Place {
    trailer_len: usize,
    added: Vec<u8>,
    alphabet: Alphabet,
    describe: String,
}

impl Placement {
    fn at(place: Place, ending: LineEnding, meaning: Option<MeaningCheck>, note: Option<String>) -> Placement {
        Placement {
            trailer_len: place.trailer_len,
            added: place.added,
            alphabet: place.alphabet,
            ending,
            describe: place.describe,
            meaning,
            note,
        }
    }
}

/// The places to try, best first.
///
/// A file that ends in a line break: after it, the suffix on lines of its own, followed by a
/// line break of its own, so the file still ends in one and its last line keeps its text.
/// The suffix's lowest digit is a blank, so its leading symbols stay on one line: a few
/// lines are added, not a screenful. (An alphabet without a line break, or one whose lowest
/// digit is one, goes before the final line break instead: blanks at the end of the last
/// line, or lines of their own.)
///
/// A file that does not: after its last byte, with the line break as the lowest digit, so
/// the suffix starts on a new line and the last line keeps its text (a line break above it
/// would open a gap inside the text, which cat, less and vim show).
///
/// Then, for a reader that refuses those, before each line break from the end, while the
/// trailer fits, with the line break first: the reader reads the same, and the suffix's
/// blank lines stand between two lines of text.
fn places(end: &[u8], ending: LineEnding, alphabet: &Alphabet) -> Vec<Place> {
    let break_first = alphabet.break_first().unwrap_or_else(|| alphabet.clone());
    let mut places = Vec::new();
    if end.last() != Some(&b'\n') {
        places.push(Place {
            trailer_len: 0,
            added: Vec::new(),
            alphabet: break_first.clone(),
            describe: "after the last byte (the file has no final line break)".into(),
        });
    } else if alphabet.has_line_break() && !alphabet.breaks_first() {
        let line_break = match ending {
            LineEnding::Lf => b"\n".to_vec(),
            LineEnding::Crlf => b"\r\n".to_vec(),
        };
        places.push(Place {
            trailer_len: 0,
            added: line_break,
            alphabet: alphabet.clone(),
            describe: "after the final line break, on lines of its own ending in a line break".into(),
        });
    }
    let breaks = end.iter().enumerate().filter(|&(_, &b)| b == b'\n').map(|(i, _)| i);
    for lf in breaks.rev() {
        let start = if ending == LineEnding::Crlf && lf > 0 && end[lf - 1] == b'\r' { lf - 1 } else { lf };
        let trailer_len = end.len() - start;
        if trailer_len > MAX_TRAILER {
            break;
        }
        let lines_after = end[lf + 1..].split(|&b| b == b'\n').filter(|line| !line.is_empty()).count();
        let describe = match lines_after {
            0 => "before the final line break".to_string(),
            n => format!("at the end of the line above the last {n} line{}", if n == 1 { "" } else { "s" }),
        };
        places.push(Place { trailer_len, added: Vec::new(), alphabet: break_first.clone(), describe });
    }
    if places.is_empty() {
        places.push(Place {
            trailer_len: 0,
            added: Vec::new(),
            alphabet: alphabet.clone(),
            describe: "after the last byte".into(),
        });
    }
    places
}

/// What the user should know of the place: a file without a final line break gets the suffix
/// after its last line, and the next prompt after `cat` moves to a line of its own.
fn note(chosen: &Place, end: &[u8], mode: PlaceMode) -> Option<String> {
    (mode == PlaceMode::Auto && chosen.trailer_len == 0 && end.last().is_some_and(|&b| b != b'\n')).then(|| {
        "it has no final line break: the suffix follows its last line on lines of its own, so after \
         `cat` the next prompt starts a line instead of following the text"
            .to_string()
    })
}

/// Suffixes that stand for a search's hits: the first one it tries (every symbol the lowest
/// digit: its leading symbols are every hit's, since the high digits of every index a search
/// reaches are zeros), and that one ending in each other symbol, alone or followed by one
/// lowest symbol. A place where one of them reads differently would pass over a share of hits
/// that can be all of them (a blank line at the start of a YAML block scalar is part of its
/// value); the hits themselves are each read again.
fn probes(alphabet: &Alphabet, bits: u32) -> Vec<Vec<u8>> {
    let len = min_suffix_len(alphabet.radix(), bits).max(2);
    let zero = alphabet.symbol(0);
    let mut probes = vec![zero.repeat(len)];
    for digit in 1..alphabet.radix() {
        let symbol = alphabet.symbol(digit);
        probes.push([zero.repeat(len - 1), symbol.to_vec()].concat());
        probes.push([zero.repeat(len - 2), symbol.to_vec(), zero.to_vec()].concat());
    }
    probes
}

/// The kind's alphabet (or `--alphabet`), with the file's line ending.
fn alphabet_for(request: &Request, ending: LineEnding, name: &str) -> anyhow::Result<Alphabet> {
    let chosen = request.alphabet.cloned().unwrap_or_else(|| request.kind.default_alphabet());
    if ending == LineEnding::Lf {
        return Ok(chosen);
    }
    chosen.for_crlf().ok_or_else(|| {
        anyhow::anyhow!(
            "{name} ends its lines in CRLF, and --alphabet {} holds a bare LF, which vim shows as ^M on every \
             line; use space-tab-lf (ghostsum gives it CRLF), or space-tab",
            chosen.name()
        )
    })
}

/// The line ending of the file's last line break (LF when it has none).
pub fn ending_of(end: &[u8]) -> LineEnding {
    match end.iter().rposition(|&b| b == b'\n') {
        Some(lf) if lf > 0 && end[lf - 1] == b'\r' => LineEnding::Crlf,
        _ => LineEnding::Lf,
    }
}

fn advice(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Csv | FileKind::Tsv => {
            "a CSV record's last field ends at the line break, so blanks there are part of it; if your \
             readers trim fields, pass --for text"
        }
        FileKind::Yaml => {
            "a block scalar (| or >) at the end takes blank lines and trailing spaces into its value: \
             add a key after it, or a comment line at column 0 after it, and search again"
        }
        FileKind::Shell | FileKind::Python => {
            "close the string or here-document at the end, or add a line after it, and search again; \
             pass --for text to search it without the proof"
        }
        FileKind::Markdown => {
            "close the code block at the end (```), or end the file with a blank line, and search again"
        }
        _ => "end the file with a line break and search again, or pass --for text to search it without the proof",
    }
}

fn read_from(content: &Content, offset: u64) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    content
        .whole_from(offset)
        .read_to_end(&mut bytes)
        .map_err(|e| crate::io_error::on("read", &content.describe(), &e))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(bytes: &[u8], kind: FileKind) -> anyhow::Result<Placement> {
        let content = Content::from_bytes(bytes);
        choose(&content, &Request { kind, alphabet: None, mode: PlaceMode::Auto, bits: 16 })
    }

    #[test]
    fn the_suffix_goes_on_lines_of_its_own_after_the_final_line_break_in_the_files_ending() {
        let p = place(b"one\ntwo\n", FileKind::Text).unwrap();
        assert_eq!((p.trailer_len, &p.added[..], p.ending), (0, &b"\n"[..], LineEnding::Lf));
        assert_eq!(p.alphabet.name(), "space-tab-lf", "blanks first: a few lines, not a screenful");
        let p = place(b"one\r\ntwo\r\n", FileKind::Text).unwrap();
        assert_eq!((&p.added[..], p.ending, p.alphabet.name()), (&b"\r\n"[..], LineEnding::Crlf, "space-tab-crlf"));
        assert!(p.alphabet.symbols().iter().all(|s| s != b"\n"));
        // No final line break: the suffix follows the last line and starts with a line break
        // (never a gap above it).
        let p = place(b"one\ntwo", FileKind::Text).unwrap();
        assert_eq!((p.trailer_len, p.added.len(), p.alphabet.name()), (0, 0, "lf-space-tab"));
        assert!(p.note.unwrap().contains("no final line break"));
        assert!(place(b"one\ntwo\n", FileKind::Text).unwrap().note.is_none());
        // No line break in the alphabet: blanks at the end of the last line, before its break.
        let p = place(b"{\"a\": 1}\n", FileKind::Jsonl).unwrap();
        assert_eq!((p.trailer_len, p.added.len(), p.alphabet.name()), (1, 0, "space-tab"));
    }

    #[test]
    fn a_here_document_or_block_scalar_moves_the_suffix_up_or_refuses() {
        // A line of blanks after a block scalar is its content; clip chomping drops the blank
        // lines a suffix of line breaks adds: before the final line break, LF first.
        let p = place(b"data:\n  script: |\n    echo hi\n", FileKind::Yaml).unwrap();
        assert_eq!((p.trailer_len, p.added.len(), p.alphabet.name()), (1, 0, "lf-space"));
        // Keep chomping keeps them: the suffix moves up, out of the block.
        let keep = place(b"data:\n  script: |+\n    echo hi\n\n", FileKind::Yaml).unwrap();
        assert!(keep.trailer_len > 2, "{keep:?}");
        // A here-document's delimiter as the last line, without a line break: the suffix
        // follows on lines of its own; one that is not closed is refused.
        assert_eq!(place(b"cat <<EOF\nhello\nEOF", FileKind::Shell).unwrap().trailer_len, 0);
        let err = place(b"cat <<EOF\nhello\n", FileKind::Shell).unwrap_err().to_string();
        assert!(err.contains("shell grammar"), "{err}");
        let err = place(b"a,b\n1,2\n", FileKind::Csv).unwrap_err().to_string();
        assert!(err.contains("CSV reader") && err.contains("--for text"), "{err}");
        let err = place(b"{\"a\": 1", FileKind::Json).unwrap_err().to_string();
        assert!(err.contains("cannot read it"), "{err}");
    }
}
