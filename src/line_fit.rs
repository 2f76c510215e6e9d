//! Suffix lines that fit a terminal. A viewer that does not wrap long lines (nano by default)
//! marks a line wider than its screen with a `>` at the right edge, so a run of tabs and
//! spaces long enough to pass column 80 would show, even though each symbol is invisible
//! (measured: tests/viewers/matrix.py). When the alphabet can start a new line, a hit whose
//! suffix makes a line reach past column 79 is passed over and the search goes on to the next
//! hit: about one hit in a few thousand for space-tab-lf after a final newline. A line the
//! leading zero digits alone take past the limit is exempt (see [`LineFit::fits`]), so the
//! check never refuses every hit. Without LF in the alphabet the suffix is one line whatever
//! happens, and nothing is checked.

use crate::alphabet::Alphabet;
use crate::input::Content;
use std::io::Read;

/// The widest a line may be, in columns, so that an 80-column screen shows it whole.
pub const MAX_COLUMNS: u32 = 79;
/// Tab stops, as terminals and nano set them.
const TAB_WIDTH: u32 = 8;
/// How far back the content's last line is looked for; a line longer than this is past
/// column 80 already, and the suffix cannot make it show more.
const LOOK_BACK: u64 = 1024;

/// Whether a suffix keeps every line within [`MAX_COLUMNS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineFit {
    /// The column the content ends at; `None` when nothing is checked.
    start_column: Option<u32>,
    /// The symbol of digit 0 (up to 4 bytes) and its length: the high digits of every index
    /// a search reaches.
    zero: [u8; 4],
    zero_len: usize,
}

impl LineFit {
    /// No check: every suffix fits.
    pub const ANY: LineFit = LineFit { start_column: None, zero: [0; 4], zero_len: 0 };

    /// The check for suffixes of `alphabet` appended to `content`.
    pub fn for_content(content: &Content, alphabet: &Alphabet) -> anyhow::Result<LineFit> {
        if !alphabet.symbols().iter().any(|s| s == b"\n") {
            return Ok(LineFit::ANY);
        }
        let mut zero = [0u8; 4];
        let zero_symbol = alphabet.symbol(0);
        zero[..zero_symbol.len()].copy_from_slice(zero_symbol);
        let checked = |start_column| LineFit { start_column: Some(start_column), zero, zero_len: zero_symbol.len() };
        let from = content.len.saturating_sub(LOOK_BACK);
        let mut last = Vec::new();
        content
            .reader_from(from)
            .read_to_end(&mut last)
            .map_err(|e| crate::io_error::on("read", &content.describe(), &e))?;
        let line = match last.iter().rposition(|&b| b == b'\n') {
            Some(lf) => &last[lf + 1..],
            None if from > 0 => return Ok(checked(u32::MAX)),
            None => &last[..],
        };
        Ok(checked(columns_after(0, line)))
    }

    /// True when no line that `suffix` adds to, or starts, ends past [`MAX_COLUMNS`].
    ///
    /// The line the suffix continues is exempt when it is past the limit already, or when the
    /// suffix's leading zero digits alone take it there: a candidate's most significant digits
    /// are zeros (spaces, in the named alphabets) for every index a search reaches, so they are
    /// the same in every hit, and refusing them would refuse every hit and never end. Such a
    /// line shows as it would anyway; only the lines the suffix starts are then kept within the
    /// limit.
    pub fn fits(&self, suffix: &[u8]) -> bool {
        let Some(start) = self.start_column else { return true };
        let zero = &self.zero[..self.zero_len];
        let leading = suffix.chunks(zero.len()).take_while(|c| *c == zero).count() * zero.len();
        let first_line_lost = zero != b"\n" && columns_after(start, &suffix[..leading]) > MAX_COLUMNS;
        let mut column = start;
        let mut widest = 0;
        let mut first_line = true;
        for &byte in suffix {
            if byte == b'\n' {
                first_line = false;
                column = 0;
                continue;
            }
            column = columns_after(column, &[byte]);
            if !(first_line && first_line_lost) {
                widest = widest.max(column);
            }
        }
        widest <= MAX_COLUMNS
    }
}

/// The column after `bytes`, starting at `column`: a tab moves to the next tab stop, an ASCII
/// byte takes one column, and multi-byte UTF-8 takes one per character (continuation bytes
/// take none; the zero-width symbols take none at all, which only errs on the safe side).
fn columns_after(column: u32, bytes: &[u8]) -> u32 {
    bytes.iter().fold(column, |col, &b| match b {
        b'\t' => (col / TAB_WIDTH + 1).saturating_mul(TAB_WIDTH),
        0x80..=0xbf => col,
        _ => col.saturating_add(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(content: &[u8]) -> LineFit {
        LineFit::for_content(&Content::from_bytes(content), &Alphabet::space_tab_lf()).unwrap()
    }

    #[test]
    fn lines_past_column_79_do_not_fit() {
        let after_newline = fit(b"text\n");
        assert!(after_newline.fits(b"\t\t\t\t\t\t\t       \n\t"));
        assert!(!after_newline.fits(b"\t\t\t\t\t\t\t\t\t\t \n"), "80 columns of tabs");
        assert!(!after_newline.fits(b"\n\t\t\t\t\t\t\t\t\t\t"));
        // A last line without a newline: the suffix's first line continues it.
        let mid_line = fit(&[b'x'; 75]);
        assert!(mid_line.fits(b"   \n\t\t"));
        assert!(!mid_line.fits(b"\t\n"));
        // A line already past 80 columns shows '>' anyway; the next lines are still checked.
        let long = fit(&[b'x'; 100]);
        assert!(long.fits(b"\t\t\n "));
        assert!(!long.fits(b"\n\t\t\t\t\t\t\t\t\t\t"));
        let very_long = fit(&[b'x'; 5000]);
        assert!(very_long.fits(b"\t\t\t\t\t\t\t\t\t\t\t"));
        // Leading spaces that reach past the limit by themselves are in every hit: the line
        // is lost whatever the rest, and the hit is not refused for it.
        let sixty = fit(&[b'x'; 60]);
        assert!(sixty.fits(&[b" ".repeat(25), b"\t\t\n  ".to_vec()].concat()));
        assert!(!sixty.fits(&[b" ".repeat(15), b"\t\t\n  ".to_vec()].concat()));
        assert!(!sixty.fits(&[b" ".repeat(25), b"\n".to_vec(), b"\t".repeat(10)].concat()));
    }

    #[test]
    fn a_leading_run_of_tabs_as_digit_zero_is_exempt_too() {
        let tabs = Alphabet::parse("bytes:09,0a").unwrap();
        let f = LineFit::for_content(&Content::from_bytes(b"x\n"), &tabs).unwrap();
        assert!(f.fits(&[b"\t".repeat(12), b"\n\t".to_vec()].concat()));
        assert!(!f.fits(&[b"\t".repeat(2), b"\n".to_vec(), b"\t".repeat(10)].concat()));
    }

    #[test]
    fn alphabets_without_a_new_line_are_not_checked() {
        let f = LineFit::for_content(&Content::from_bytes(b"x\n"), &Alphabet::space_tab()).unwrap();
        assert_eq!(f, LineFit::ANY);
        assert!(f.fits(&[b'\t'; 100]));
    }
}
