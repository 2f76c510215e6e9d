//! What a suffix inserted into a file changes where a person or a program looks: the file's
//! line ending, its final line break, its last line, and what its reader reads. `verify
//! --strict --original` names each; a search's placement ([`crate::placement`]) avoids them.

use crate::kind::FileKind;
use crate::meaning::{MeaningCheck, Reader, MAX_PROVEN_BYTES};
use crate::placement::{ending_of, LineEnding};

/// An output that is `original` with `inserted` at byte `at`.
pub struct Insertion<'a> {
    /// The file before.
    pub original: &'a [u8],
    /// Where the inserted bytes start.
    pub at: usize,
    /// The inserted bytes.
    pub inserted: &'a [u8],
}

impl Insertion<'_> {
    /// Everything the insertion changes for a file of `kind`, in words (empty: nothing).
    pub fn changes(&self, kind: FileKind) -> Vec<String> {
        let mut changes = Vec::new();
        let Insertion { original, at, inserted } = *self;
        let tail = &original[at..];
        if ending_of(original) == LineEnding::Crlf && has_bare_lf(original, at, inserted) {
            changes.push(
                "a bare LF in a file of CRLF lines: vim takes it for a unix file and shows ^M at the end of every line"
                    .into(),
            );
        }
        if ending_of(original) == LineEnding::Lf && original.contains(&b'\n') && inserted.contains(&b'\r') {
            changes.push("a CR in a file of LF lines: vim shows it as ^M".into());
        }
        let ends_in_break = |bytes: &[u8]| bytes.last() == Some(&b'\n');
        let output_ends_in_break = if tail.is_empty() { ends_in_break(inserted) } else { ends_in_break(tail) };
        if ends_in_break(original) && !output_ends_in_break {
            changes.push(
                "it no longer ends in a line break: after cat the next prompt follows the text, and vim shows [noeol]"
                    .into(),
            );
        }
        let on_last_line = !original[..at].ends_with(b"\n") && !original[at..].contains(&b'\n');
        let starts_a_line = inserted.starts_with(b"\n") || inserted.starts_with(b"\r\n");
        if !original.is_empty() && on_last_line && !starts_a_line {
            changes.push("its last line gains the suffix's blanks (it had no line break to end it)".into());
        }
        if let Some(reader) = Reader::of(kind) {
            changes.extend(self.meaning_change(reader));
        }
        changes
    }

    fn meaning_change(&self, reader: Reader) -> Option<String> {
        let total = self.original.len() + self.inserted.len();
        if total as u64 > MAX_PROVEN_BYTES {
            return Some(format!(
                "the {} was not run: the file is over the {} MiB ghostsum proves (pass --for text to leave it out)",
                reader.name(),
                MAX_PROVEN_BYTES >> 20
            ));
        }
        let check = match MeaningCheck::new(reader, self.original.to_vec()) {
            Ok(check) => check,
            Err(why) => return Some(format!("the {} cannot read the original: {why}", reader.name())),
        };
        match check.placed_before(self.original.len() - self.at) {
            Ok(placed) => placed.changed(self.inserted),
            Err(why) => Some(format!("the suffix is {why}")),
        }
    }
}

/// Whether the insertion puts an LF without a CR before it into the file.
fn has_bare_lf(original: &[u8], at: usize, inserted: &[u8]) -> bool {
    let before = |i: usize| if i == 0 { original[..at].last().copied() } else { Some(inserted[i - 1]) };
    let inside = inserted.iter().enumerate().any(|(i, &b)| b == b'\n' && before(i) != Some(b'\r'));
    // An insertion between a CR and its LF leaves that LF bare.
    let splits_crlf = original[..at].ends_with(b"\r") && original[at..].starts_with(b"\n") && !inserted.is_empty();
    inside || splits_crlf
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(original: &str, at: usize, inserted: &str, kind: FileKind) -> Vec<String> {
        Insertion { original: original.as_bytes(), at, inserted: inserted.as_bytes() }.changes(kind)
    }

    #[test]
    fn a_placed_suffix_changes_nothing() {
        assert!(changes("a\nb\n", 3, "\n \t", FileKind::Text).is_empty());
        assert!(changes("a\r\nb\r\n", 4, "\r\n  ", FileKind::Text).is_empty());
        assert!(changes("a\nb", 3, "\n \t", FileKind::Text).is_empty());
        assert!(changes("k: 1\n", 4, "\n  ", FileKind::Yaml).is_empty());
    }

    #[test]
    fn each_change_is_named() {
        let crlf = changes("a\r\nb\r\n", 6, "\t \n", FileKind::Text);
        assert!(crlf.iter().any(|c| c.contains("bare LF")), "{crlf:?}");
        let noeol = changes("a\nb\n", 4, " \t", FileKind::Text);
        assert!(noeol.iter().any(|c| c.contains("[noeol]")), "{noeol:?}");
        let cr = changes("a\nb\n", 3, "\r\n", FileKind::Text);
        assert!(cr.iter().any(|c| c.contains("^M")), "{cr:?}");
        let last_line = changes("a\nb", 3, " \t", FileKind::Text);
        assert!(last_line.iter().any(|c| c.contains("last line")), "{last_line:?}");
        let block = changes("k: |\n  x\n", 9, "\n   ", FileKind::Yaml);
        assert!(block.iter().any(|c| c.contains("YAML reader")), "{block:?}");
        let heredoc = changes("cat <<EOF\nhi\nEOF\n", 13, "  \n", FileKind::Shell);
        assert!(heredoc.iter().any(|c| c.contains("shell grammar")), "{heredoc:?}");
    }
}
