//! Suffix lines that fit a terminal. A viewer that does not wrap long lines (nano by default)
//! marks a line wider than its screen with a `>` at the right edge, so a run of tabs and
//! spaces long enough to pass column 80 would show, even though each symbol is invisible
//! (measured: tests/viewers/matrix.py). When the alphabet can start a new line, a hit whose
//! suffix makes a line reach past column 79 is passed over and the search goes on to the next
//! hit: about one hit in a few thousand for space-tab-lf after a final newline.
//!
//! A suffix's leading symbols are its index's most significant digits, and a search walks
//! indices upward from where its range starts, so its hits all share a lead: the digits that
//! do not change within 64 times the expected work (zeros, spaces, from index 0; for a shard,
//! whatever its slice starts with, such as a run of tabs for shard 2 of 4). The lead is the
//! same in every hit the search can reach, so refusing what it does would refuse every hit
//! and never end: the lines it completes, and the line it leaves past the limit, are exempt
//! (see [`LineFit::fits`]). Without LF in the alphabet the suffix is one line whatever
//! happens, and nothing is checked.

use crate::alphabet::Alphabet;
use crate::input::Content;
use crate::layout::Layout;
use std::io::Read;

/// The widest a line may be, in columns, so that an 80-column screen shows it whole.
pub const MAX_COLUMNS: u32 = 79;
/// Tab stops, as terminals and nano set them.
const TAB_WIDTH: u32 = 8;
/// How far back the content's last line is looked for; a line longer than this is past
/// column 80 already, and the suffix cannot make it show more.
const LOOK_BACK: u64 = 1024;
/// Expected works past a range's start within which its hits are taken to lie when finding
/// the lead (the chance of needing more is e^-64).
const LEAD_SPAN_WORKS: u32 = 64;

/// Whether a suffix keeps every line within [`MAX_COLUMNS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineFit {
    /// The column the content ends at; `None` when nothing is checked.
    start_column: Option<u32>,
    /// Bytes at the suffix's start that every hit of the search shares.
    lead_bytes: usize,
}

impl LineFit {
    /// No check: every suffix fits.
    pub const ANY: LineFit = LineFit { start_column: None, lead_bytes: 0 };

    /// The check for suffixes of `alphabet` appended to `content`, with no lead yet.
    pub fn for_content(content: &Content, alphabet: &Alphabet) -> anyhow::Result<LineFit> {
        if !alphabet.symbols().iter().any(|s| s == b"\n") {
            return Ok(LineFit::ANY);
        }
        let checked = |start_column| LineFit { start_column: Some(start_column), lead_bytes: 0 };
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

    /// The same check for a search of `layout` that walks up from index `start` (the range's
    /// own start, never a resume point, so a resumed search takes the same hits) towards
    /// `end`, for a target of `bits` bits: the lead is what the suffixes of `start` and of
    /// the index 64 expected works later have in common.
    pub fn for_range(self, layout: &Layout, start: u128, end: u128, bits: u32) -> LineFit {
        if self.start_column.is_none() || start >= end {
            return self;
        }
        let span = 1u128.checked_shl(bits).and_then(|w| w.checked_mul(LEAD_SPAN_WORKS as u128)).unwrap_or(u128::MAX);
        let last = start.saturating_add(span).min(end - 1);
        let (first, far) = (layout.suffix(start), layout.suffix(last));
        let width = layout.alphabet.width().max(1);
        let common = first.iter().zip(&far).take_while(|(a, b)| a == b).count();
        LineFit { lead_bytes: common / width * width, ..self }
    }

    /// True when no line that the suffix's varying part adds to, or starts, ends past
    /// [`MAX_COLUMNS`]. Exempt: the lines the lead completes, and the line in progress where
    /// the lead ends if it is past the limit already (the content's last line, when the lead
    /// is empty). Those are the same in every hit, and show as they would anyway.
    pub fn fits(&self, suffix: &[u8]) -> bool {
        let Some(start) = self.start_column else { return true };
        let lead = self.lead_bytes.min(suffix.len());
        let mut column = columns_after(start, &[]);
        for &byte in &suffix[..lead] {
            column = if byte == b'\n' { 0 } else { columns_after(column, &[byte]) };
        }
        let mut exempt = column > MAX_COLUMNS;
        for &byte in &suffix[lead..] {
            if byte == b'\n' {
                column = 0;
                exempt = false;
                continue;
            }
            column = columns_after(column, &[byte]);
            if !exempt && column > MAX_COLUMNS {
                return false;
            }
        }
        true
    }

    /// The same check with a lead of `bytes` (tests).
    pub fn with_lead(self, bytes: usize) -> LineFit {
        LineFit { lead_bytes: bytes, ..self }
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
        // A lead that every hit shares and that reaches past the limit by itself: that line
        // is lost whatever the rest, and the hit is not refused for it.
        let sixty = fit(&[b'x'; 60]).with_lead(25);
        assert!(sixty.fits(&[b" ".repeat(25), b"\t\t\n  ".to_vec()].concat()));
        assert!(!fit(&[b'x'; 60]).with_lead(15).fits(&[b" ".repeat(15), b"\t\t\n  ".to_vec()].concat()));
        assert!(!sixty.fits(&[b" ".repeat(25), b"\n".to_vec(), b"\t".repeat(10)].concat()));
    }

    /// Shard 2 of 4 of a base-3 keyspace starts at 0.111...(base 3): every index it reaches
    /// begins with a run of tabs. Its lead is exempt, or no hit would ever fit.
    #[test]
    fn a_shard_whose_indices_start_with_tabs_still_has_hits() {
        let content = Content::from_bytes(b"notes\n");
        let alphabet = Alphabet::space_tab_lf();
        let layout = Layout::plan_from(&content, &alphabet, 34, 0).unwrap();
        let (start, end) = crate::shard::Shard::new(2, 4).unwrap().range(&layout);
        let base = LineFit::for_content(&content, &alphabet).unwrap();
        assert!(!base.fits(&layout.suffix(start + 5)), "without the lead every index here is refused");
        let fit = base.for_range(&layout, start, end, 4);
        let fitting = (start..start + 2000).filter(|&i| fit.fits(&layout.suffix(i))).count();
        assert!(fitting > 1000, "{fitting} of 2000");
        // From index 0 the lead is the leading spaces.
        let from_zero = base.for_range(&layout, 0, layout.keyspace(), 4);
        assert!(from_zero.lead_bytes >= 20, "{from_zero:?}");
    }

    #[test]
    fn a_leading_run_of_tabs_as_digit_zero_is_exempt_too() {
        let tabs = Alphabet::parse("bytes:09,0a").unwrap();
        let f = LineFit::for_content(&Content::from_bytes(b"x\n"), &tabs).unwrap().with_lead(12);
        assert!(f.fits(&[b"\t".repeat(12), b"\n\t".to_vec()].concat()));
        let f = f.with_lead(2);
        assert!(!f.fits(&[b"\t".repeat(2), b"\n".to_vec(), b"\t".repeat(10)].concat()));
    }

    #[test]
    fn alphabets_without_a_new_line_are_not_checked() {
        let f = LineFit::for_content(&Content::from_bytes(b"x\n"), &Alphabet::space_tab()).unwrap();
        assert_eq!(f, LineFit::ANY);
        assert!(f.fits(&[b'\t'; 100]));
    }
}
