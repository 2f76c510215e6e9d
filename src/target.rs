//! The hex prefix a digest must start with, as masks over the hash's state words.

use crate::hash::{HashKind, State};
use std::fmt;

/// A digest prefix of hex digits, `_` standing for any digit (lucky-commit's syntax).
///
/// MD5's hex is the bytes of A, B, C, D, each little-endian, so hex digits 0-1 are the low
/// byte of A; SHA's words are big-endian, so digits 0-1 are the high byte of its first
/// word. Either way a prefix of up to 8 digits constrains the first word alone:
/// `word & mask == value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prefix {
    digits: String,
    hash: HashKind,
    /// Per state word: which bits the prefix fixes.
    pub word_masks: State,
    /// Per state word: the fixed bits' values.
    pub word_values: State,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
/// Why a prefix was refused.
pub enum PrefixError {
    #[error("the prefix is empty: give hex digits, for example --prefix c0ffee")]
    /// No digits.
    Empty,
    #[error("the prefix '{0}' has {1} digits, but {a_hash} digest has only {n}; give at most {n} digits", a_hash = .2.title_with_article(), n = .2.hex_digits())]
    /// More digits than the digest has.
    TooLong(String, usize, HashKind),
    #[error("the prefix '{0}' is not hex: use only 0-9, a-f, and _ for any digit")]
    /// A character that is not hex.
    NotHex(String),
    #[error("the prefix '{0}' fixes no digit: give at least one hex digit besides the _")]
    /// Only wildcards.
    NothingFixed(String),
}

impl Prefix {
    /// Parses hex digits (either case, `_` for any digit) for an MD5 digest.
    pub fn parse(text: &str) -> Result<Self, PrefixError> {
        Self::parse_for(text, HashKind::Md5)
    }

    /// Parses hex digits (either case, `_` for any digit) for a `hash` digest.
    pub fn parse_for(text: &str, hash: HashKind) -> Result<Self, PrefixError> {
        let digits = text.trim().to_ascii_lowercase();
        if digits.is_empty() {
            return Err(PrefixError::Empty);
        }
        if !digits.bytes().all(|b| b.is_ascii_hexdigit() || b == b'_') {
            return Err(PrefixError::NotHex(text.into()));
        }
        if digits.bytes().all(|b| b == b'_') {
            return Err(PrefixError::NothingFixed(text.into()));
        }
        if digits.len() > hash.hex_digits() {
            return Err(PrefixError::TooLong(text.into(), digits.len(), hash));
        }
        let mut word_masks = [0u32; 8];
        let mut word_values = [0u32; 8];
        for (i, c) in digits.bytes().enumerate() {
            let Some(nibble) = (c as char).to_digit(16) else { continue };
            let byte = i / 2;
            // The high nibble of each byte is printed first.
            let shift = hash.byte_shift(byte % 4) + if i % 2 == 0 { 4 } else { 0 };
            word_masks[byte / 4] |= 0xf << shift;
            word_values[byte / 4] |= nibble << shift;
        }
        Ok(Prefix { digits, hash, word_masks, word_values })
    }

    /// The same digits for a `hash` digest.
    pub fn for_hash(&self, hash: HashKind) -> Result<Self, PrefixError> {
        Self::parse_for(&self.digits, hash)
    }

    /// The hash whose state words the masks are for.
    pub fn hash(&self) -> HashKind {
        self.hash
    }

    /// The digits, lower case, `_` where any digit will do.
    pub fn hex(&self) -> &str {
        &self.digits
    }

    /// Bits the prefix fixes (4 a digit, none for `_`): the expected number of candidates
    /// per hit is 2^bits.
    pub fn bits(&self) -> u32 {
        4 * self.digits.bytes().filter(|&b| b != b'_').count() as u32
    }

    /// Candidates a search tests on average before a hit: 2^bits.
    pub fn expected_candidates(&self) -> f64 {
        2f64.powi(self.bits() as i32)
    }

    /// The first state word a digit of the prefix fixes (0 unless the prefix starts with
    /// eight `_`): the word a kernel tests before the host checks the rest.
    pub fn first_fixed_word(&self) -> usize {
        self.word_masks.iter().position(|&m| m != 0).unwrap_or(0)
    }

    /// True when only the first state word is constrained (MD5: the search may exit after
    /// step 60).
    pub fn in_first_word_only(&self) -> bool {
        self.word_masks[1..].iter().all(|&m| m == 0)
    }

    /// Does a finished state match?
    pub fn matches_state(&self, state: &State) -> bool {
        (0..8).all(|i| state[i] & self.word_masks[i] == self.word_values[i])
    }

    /// Does a digest match?
    pub fn matches_digest(&self, digest: &[u8]) -> bool {
        let hex = hex(digest);
        hex.len() >= self.digits.len() && hex.bytes().zip(self.digits.bytes()).all(|(d, p)| p == b'_' || d == p)
    }
}

/// Prefix digits as typed on the command line, checked for hex before the hash is known:
/// [`PrefixDigits::for_hash`] makes the [`Prefix`] a search needs, so none is used with
/// another hash's word order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixDigits(String);

impl PrefixDigits {
    /// The prefix for a `hash` digest (refused when longer than its digest).
    pub fn for_hash(&self, hash: HashKind) -> Result<Prefix, PrefixError> {
        Prefix::parse_for(&self.0, hash)
    }

    /// The digits, lower case.
    pub fn hex(&self) -> String {
        self.0.trim().to_ascii_lowercase()
    }
}

impl std::str::FromStr for PrefixDigits {
    type Err = PrefixError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // The longest digest's digits; each hash's own bound comes with `for_hash`.
        Prefix::parse_for(text, HashKind::Sha256).map(|_| PrefixDigits(text.to_string()))
    }
}

impl fmt::Display for PrefixDigits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl std::str::FromStr for Prefix {
    type Err = PrefixError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.digits)
    }
}

/// Lower-case hex, as md5sum prints it.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_follow_little_endian_words() {
        let sha = Prefix::parse_for("c0ffee", HashKind::Sha1).unwrap();
        assert_eq!((sha.word_masks[0], sha.word_values[0]), (0xffff_ff00, 0xc0ff_ee00));
        let p = Prefix::parse("c0ffee").unwrap();
        assert_eq!(p.word_masks[0], 0x00ff_ffff);
        assert_eq!(p.word_values[0], 0x00ee_ffc0);
        assert!(p.in_first_word_only());
        let odd = Prefix::parse("abc").unwrap();
        assert_eq!((odd.word_masks[0], odd.word_values[0]), (0xf0ff, 0xc0ab));
        let long = Prefix::parse("0123456789").unwrap();
        assert_eq!((long.word_masks[1], long.word_values[1]), (0xff, 0x89));
        assert!(!long.in_first_word_only());
    }

    #[test]
    fn state_and_digest_checks_agree() {
        for hash in [HashKind::Md5, HashKind::Sha1, HashKind::Sha256] {
            let digest = hash.digest(b"hello");
            let mut state = [0u32; 8];
            for (i, word) in digest.chunks(4).enumerate() {
                state[i] = hash.word(word.try_into().unwrap());
            }
            for len in 1..=hash.hex_digits() {
                let p = Prefix::parse_for(&hex(&digest)[..len], hash).unwrap();
                assert!(p.matches_state(&state) && p.matches_digest(&digest), "{hash} {len}");
                // Any digit may be a wildcard.
                let mut wild = hex(&digest)[..len].to_string().into_bytes();
                wild[len / 2] = b'_';
                let p = Prefix::parse_for(std::str::from_utf8(&wild).unwrap(), hash);
                if let Ok(p) = p {
                    assert!(p.matches_state(&state) && p.matches_digest(&digest), "{hash} {len} wild");
                    assert_eq!(p.bits(), 4 * (len as u32 - 1));
                }
            }
            let wrong = Prefix::parse_for("0000000000", hash).unwrap();
            assert!(!wrong.matches_state(&state) && !wrong.matches_digest(&digest));
            let wrong = Prefix::parse_for("_________0000000000", hash).unwrap();
            assert!(!wrong.matches_state(&state) && !wrong.matches_digest(&digest));
        }
    }

    #[test]
    fn bad_prefixes() {
        assert_eq!(Prefix::parse(""), Err(PrefixError::Empty));
        assert_eq!(Prefix::parse("zz"), Err(PrefixError::NotHex("zz".into())));
        assert!(matches!(Prefix::parse(&"a".repeat(33)), Err(PrefixError::TooLong(_, 33, HashKind::Md5))));
        assert!(Prefix::parse_for(&"a".repeat(40), HashKind::Sha1).is_ok());
        assert_eq!(Prefix::parse("__"), Err(PrefixError::NothingFixed("__".into())));
        assert_eq!(Prefix::parse("_1").unwrap().bits(), 4);
        assert_eq!(Prefix::parse("C0FFEE").unwrap().hex(), "c0ffee");
    }
}
