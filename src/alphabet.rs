//! Suffix alphabets: the invisible symbols a suffix is spelled with.

use std::fmt;

/// An ordered set of symbols of one byte length. Digit value `v` of a candidate index is
/// spelled as `symbols[v]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Alphabet {
    name: String,
    symbols: Vec<Vec<u8>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
/// Why an alphabet was refused.
pub enum AlphabetError {
    #[error(
        "unknown alphabet '{0}': use lf-space-tab, lf-space, space-tab-lf, space-lf, space-tab, crlf-space-tab, crlf-space, whitespace, zero-width, or bytes:HEX,HEX,... (for example bytes:20,09)"
    )]
    /// Not a known name nor bytes:...
    Unknown(String),
    #[error("alphabet '{0}' needs at least two symbols")]
    /// Fewer than two symbols.
    TooFew(String),
    #[error("alphabet '{0}' repeats a symbol")]
    /// A symbol given twice.
    Repeated(String),
    #[error("alphabet '{0}': all symbols must have the same byte length, from 1 to 4")]
    /// Symbols of different byte lengths, or longer than 4.
    UnevenWidth(String),
    #[error("alphabet '{0}': '{1}' is not a hex byte sequence (write each symbol as hex, e.g. 20 or e2808b)")]
    /// A symbol that is not hex bytes.
    BadHex(String, String),
}

/// The names `--alphabet` accepts, with what they hold; printed by `ghostsum alphabets`.
pub const NAMED: &[(&str, &str)] = &[
    (
        "space-tab-lf",
        "space, tab, LF: invisible in every viewer measured, with a space as the lowest digit (the default for most kinds: on lines of its own after a file's last line break)",
    ),
    ("space-lf", "space and LF: YAML-safe (a tab that starts a line is a YAML syntax error), with a space as the lowest digit (YAML's default)"),
    ("space-tab", "space and tab: no new lines at the end of the file"),
    (
        "lf-space-tab",
        "space-tab-lf with LF as the lowest digit, so a suffix starts on a new line (what a file without a final line break gets)",
    ),
    ("lf-space", "space-lf with LF as the lowest digit (a YAML file without a final line break)"),
    ("whitespace", "space, tab, LF, VT, FF: the original five; VT and FF show as ^K/^L in less, vim and nano"),
    (
        "zero-width",
        "U+200B, U+200C, U+200D, U+2060 in UTF-8 (3 bytes each): survive whitespace trimming, but vim shows them",
    ),
];

impl Alphabet {
    /// Space, tab, LF, VT, FF: the original five (VT and FF show in less and vim).
    pub fn whitespace() -> Self {
        Self::from_bytes("whitespace", &[b" ", b"\t", b"\n", b"\x0b", b"\x0c"])
    }

    /// Space, tab and LF: invisible in every viewer measured; the default for most kinds.
    pub fn space_tab_lf() -> Self {
        Self::from_bytes("space-tab-lf", &[b" ", b"\t", b"\n"])
    }

    /// Space and LF: for YAML, which refuses a tab at the start of a line.
    pub fn space_lf() -> Self {
        Self::from_bytes("space-lf", &[b" ", b"\n"])
    }

    /// Space and tab: no new lines at the end of the file.
    pub fn space_tab() -> Self {
        Self::from_bytes("space-tab", &[b" ", b"\t"])
    }

    /// Space, tab and LF with LF as digit 0: the suffix's leading symbols (the high digits,
    /// zeros from index 0) are line breaks, so the line it follows stays as it was.
    pub fn lf_space_tab() -> Self {
        Self::from_bytes("lf-space-tab", &[b"\n", b" ", b"\t"])
    }

    /// Space and LF with LF as digit 0 (YAML's default, as [`Alphabet::lf_space_tab`]).
    pub fn lf_space() -> Self {
        Self::from_bytes("lf-space", &[b"\n", b" "])
    }

    /// lf-space-tab for a file whose lines end in CRLF: two-byte symbols (CRLF, two spaces,
    /// space tab, tab space, two tabs), so no LF ever stands alone.
    pub fn crlf_space_tab() -> Self {
        Self::from_bytes("crlf-space-tab", &[b"\r\n", b"  ", b" \t", b"\t ", b"\t\t"])
    }

    /// lf-space for a YAML file whose lines end in CRLF: CRLF, and two spaces.
    pub fn crlf_space() -> Self {
        Self::from_bytes("crlf-space", &[b"\r\n", b"  "])
    }

    /// space-tab-lf for a file whose lines end in CRLF: two spaces, space tab, tab space, two
    /// tabs, CRLF.
    pub fn space_tab_crlf() -> Self {
        Self::from_bytes("space-tab-crlf", &[b"  ", b" \t", b"\t ", b"\t\t", b"\r\n"])
    }

    /// space-lf for a YAML file whose lines end in CRLF: two spaces, and CRLF.
    pub fn space_crlf() -> Self {
        Self::from_bytes("space-crlf", &[b"  ", b"\r\n"])
    }

    /// This alphabet for a file whose lines end in CRLF: the named ones with LF get their
    /// CRLF twin (in the same order); None for one that holds LF and has no twin (a bare LF
    /// would be a line of another ending).
    pub fn for_crlf(&self) -> Option<Self> {
        match self.name.as_str() {
            "space-tab-lf" => Some(Self::space_tab_crlf()),
            "space-lf" => Some(Self::space_crlf()),
            "lf-space-tab" => Some(Self::crlf_space_tab()),
            "lf-space" => Some(Self::crlf_space()),
            _ if self.symbols.iter().any(|s| has_bare_lf(s)) => None,
            _ => Some(self.clone()),
        }
    }

    /// The same symbols with the line break as the lowest digit, for a suffix that must
    /// start on a new line (after a last line without a line break): the named space-first
    /// alphabets' LF-first twins; None for others.
    pub fn break_first(&self) -> Option<Self> {
        match self.name.as_str() {
            "space-tab-lf" | "lf-space-tab" => Some(Self::lf_space_tab()),
            "space-lf" | "lf-space" => Some(Self::lf_space()),
            "space-tab-crlf" | "crlf-space-tab" => Some(Self::crlf_space_tab()),
            "space-crlf" | "crlf-space" => Some(Self::crlf_space()),
            _ => None,
        }
    }

    /// Whether a symbol is a line break (LF or CRLF).
    pub fn has_line_break(&self) -> bool {
        self.symbols.iter().any(|s| s == b"\n" || s == b"\r\n")
    }

    /// Whether the lowest digit is a line break (then every suffix starts with one).
    pub fn breaks_first(&self) -> bool {
        matches!(self.symbols[0].as_slice(), b"\n" | b"\r\n")
    }

    /// Four zero-width code points in UTF-8, for HTML and Markdown.
    pub fn zero_width() -> Self {
        Self::from_bytes(
            "zero-width",
            &["\u{200b}".as_bytes(), "\u{200c}".as_bytes(), "\u{200d}".as_bytes(), "\u{2060}".as_bytes()],
        )
    }

    fn from_bytes(name: &str, symbols: &[&[u8]]) -> Self {
        Alphabet { name: name.to_string(), symbols: symbols.iter().map(|s| s.to_vec()).collect() }
    }

    /// Builds a user-given alphabet, checking the rules every backend relies on.
    pub fn custom(name: &str, symbols: Vec<Vec<u8>>) -> Result<Self, AlphabetError> {
        if symbols.len() < 2 {
            return Err(AlphabetError::TooFew(name.into()));
        }
        let width = symbols[0].len();
        if !(1..=4).contains(&width) || symbols.iter().any(|s| s.len() != width) {
            return Err(AlphabetError::UnevenWidth(name.into()));
        }
        let mut sorted = symbols.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != symbols.len() {
            return Err(AlphabetError::Repeated(name.into()));
        }
        Ok(Alphabet { name: name.into(), symbols })
    }

    /// Every named alphabet, in [`NAMED`] order.
    pub fn named() -> Vec<Alphabet> {
        NAMED.iter().map(|(name, _)| Self::parse(name).expect("every NAMED alphabet parses")).collect()
    }

    /// Every symbol of the named alphabets, once each, in [`NAMED`] order, then CRLF: the
    /// symbols a suffix made by ghostsum can hold (a CRLF file's suffix is CRLF and pairs of
    /// spaces and tabs).
    pub fn named_symbols() -> Vec<Vec<u8>> {
        let mut symbols: Vec<Vec<u8>> = Vec::new();
        let crlf = Alphabet { name: String::new(), symbols: vec![b"\r\n".to_vec()] };
        for alphabet in Self::named().into_iter().chain([crlf]) {
            for symbol in alphabet.symbols {
                if !symbols.contains(&symbol) {
                    symbols.push(symbol);
                }
            }
        }
        symbols
    }

    /// Parses `--alphabet`: a name from [`NAMED`] or `bytes:HEX,HEX,...`.
    pub fn parse(spec: &str) -> Result<Self, AlphabetError> {
        match spec {
            "whitespace" => return Ok(Self::whitespace()),
            "space-tab-lf" => return Ok(Self::space_tab_lf()),
            "space-lf" => return Ok(Self::space_lf()),
            "space-tab" => return Ok(Self::space_tab()),
            "zero-width" => return Ok(Self::zero_width()),
            "lf-space-tab" => return Ok(Self::lf_space_tab()),
            "lf-space" => return Ok(Self::lf_space()),
            "crlf-space-tab" => return Ok(Self::crlf_space_tab()),
            "crlf-space" => return Ok(Self::crlf_space()),
            "space-tab-crlf" => return Ok(Self::space_tab_crlf()),
            "space-crlf" => return Ok(Self::space_crlf()),
            _ => {}
        }
        let Some(list) = spec.strip_prefix("bytes:") else {
            return Err(AlphabetError::Unknown(spec.into()));
        };
        let symbols = list
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|hex| parse_hex_bytes(hex).ok_or_else(|| AlphabetError::BadHex(spec.into(), hex.into())))
            .collect::<Result<Vec<_>, _>>()?;
        Self::custom(spec, symbols)
    }

    /// The name it was given by (`whitespace`, `bytes:20,09`, ...).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of symbols, the base `k` of the candidate index.
    pub fn radix(&self) -> u32 {
        self.symbols.len() as u32
    }

    /// Bytes per symbol.
    pub fn width(&self) -> usize {
        self.symbols[0].len()
    }

    /// The bytes of the symbol for digit value `digit`.
    pub fn symbol(&self, digit: u32) -> &[u8] {
        &self.symbols[digit as usize]
    }

    /// Every symbol, in digit order.
    pub fn symbols(&self) -> &[Vec<u8>] {
        &self.symbols
    }

    /// True when `bytes` is a whole number of this alphabet's symbols.
    pub fn spells(&self, bytes: &[u8]) -> bool {
        bytes.len().is_multiple_of(self.width())
            && bytes.chunks(self.width()).all(|c| self.symbols.iter().any(|s| s == c))
    }
}

impl std::str::FromStr for Alphabet {
    type Err = AlphabetError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        Self::parse(spec)
    }
}

impl fmt::Display for Alphabet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

fn parse_hex_bytes(hex: &str) -> Option<Vec<u8>> {
    let hex = hex.trim();
    if hex.is_empty() || !hex.len().is_multiple_of(2) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok()).collect()
}

/// Whether a symbol holds an LF without a CR before it.
fn has_bare_lf(symbol: &[u8]) -> bool {
    symbol.iter().enumerate().any(|(i, &b)| b == b'\n' && (i == 0 || symbol[i - 1] != b'\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_alphabets() {
        assert_eq!(Alphabet::parse("whitespace").unwrap().radix(), 5);
        assert_eq!(
            Alphabet::parse("space-tab-lf").unwrap().symbols(),
            &[b" ".to_vec(), b"\t".to_vec(), b"\n".to_vec()]
        );
        assert_eq!(Alphabet::parse("space-lf").unwrap().radix(), 2);
        assert_eq!(Alphabet::named().len(), NAMED.len());
        assert_eq!(Alphabet::parse("space-tab").unwrap().symbols(), &[b" ".to_vec(), b"\t".to_vec()]);
        let zw = Alphabet::parse("zero-width").unwrap();
        assert_eq!((zw.radix(), zw.width()), (4, 3));
        assert!(!Alphabet::whitespace().symbols().iter().any(|s| s == b"\r"));
    }

    #[test]
    fn custom_alphabets_are_checked() {
        assert_eq!(Alphabet::parse("bytes:20,09").unwrap().radix(), 2);
        assert_eq!(Alphabet::parse("bytes:"), Err(AlphabetError::TooFew("bytes:".into())));
        assert_eq!(Alphabet::parse("bytes:20"), Err(AlphabetError::TooFew("bytes:20".into())));
        assert!(matches!(Alphabet::parse("bytes:20,20"), Err(AlphabetError::Repeated(_))));
        assert!(matches!(Alphabet::parse("bytes:20,0909"), Err(AlphabetError::UnevenWidth(_))));
        assert!(matches!(Alphabet::parse("bytes:2g,09"), Err(AlphabetError::BadHex(..))));
        assert!(matches!(Alphabet::parse("tabs"), Err(AlphabetError::Unknown(_))));
    }

    #[test]
    fn spells_checks_symbols() {
        let a = Alphabet::whitespace();
        assert!(a.spells(b" \t\n\x0b\x0c"));
        assert!(!a.spells(b" \r"));
        let every = Alphabet::named_symbols();
        assert_eq!(every.len(), 10, "space, tab, LF, VT, FF, four zero-width and CRLF: {every:?}");
        assert_eq!(&every[..3], Alphabet::space_tab_lf().symbols());
        // A CRLF alphabet named for a CRLF file is kept; one with a bare LF has no CRLF twin.
        assert_eq!(Alphabet::crlf_space_tab().for_crlf().unwrap().name(), "crlf-space-tab");
        assert_eq!(Alphabet::space_tab_lf().for_crlf().unwrap().name(), "space-tab-crlf");
        assert!(Alphabet::whitespace().for_crlf().is_none());
    }
}
