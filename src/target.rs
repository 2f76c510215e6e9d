//! The hex prefix a digest must start with, as masks over the MD5 state words.

use std::fmt;

/// A digest prefix of 1 to 32 hex digits.
///
/// The digest's hex is the bytes of A, B, C, D, each little-endian, so hex digits 0-1 are
/// the low byte of A, and a prefix of up to 8 digits constrains A alone: `a & mask == value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prefix {
    digits: String,
    /// Per state word: which bits the prefix fixes.
    pub word_masks: [u32; 4],
    /// Per state word: the fixed bits' values.
    pub word_values: [u32; 4],
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
/// Why a prefix was refused.
pub enum PrefixError {
    #[error("the prefix is empty: give 1 to 32 hex digits, for example --prefix c0ffee")]
    /// No digits.
    Empty,
    #[error("the prefix '{0}' has {1} digits, but an MD5 digest has only 32")]
    /// More than 32 digits.
    TooLong(String, usize),
    #[error("the prefix '{0}' is not hex: use only 0-9 and a-f")]
    /// A character that is not hex.
    NotHex(String),
}

impl Prefix {
    /// Parses 1 to 32 hex digits, either case.
    pub fn parse(text: &str) -> Result<Self, PrefixError> {
        let digits = text.trim().to_ascii_lowercase();
        if digits.is_empty() {
            return Err(PrefixError::Empty);
        }
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(PrefixError::NotHex(text.into()));
        }
        if digits.len() > 32 {
            return Err(PrefixError::TooLong(text.into(), digits.len()));
        }
        let mut word_masks = [0u32; 4];
        let mut word_values = [0u32; 4];
        for (i, c) in digits.bytes().enumerate() {
            let nibble = (c as char).to_digit(16).unwrap();
            let byte = i / 2;
            // High nibble of each byte is printed first.
            let shift = 8 * (byte % 4) + if i % 2 == 0 { 4 } else { 0 };
            word_masks[byte / 4] |= 0xf << shift;
            word_values[byte / 4] |= nibble << shift;
        }
        Ok(Prefix { digits, word_masks, word_values })
    }

    /// The digits, lower case.
    pub fn hex(&self) -> &str {
        &self.digits
    }

    /// Bits the prefix fixes: the expected number of candidates per hit is 2^bits.
    pub fn bits(&self) -> u32 {
        4 * self.digits.len() as u32
    }

    /// Candidates a search tests on average before a hit: 2^bits.
    pub fn expected_candidates(&self) -> f64 {
        2f64.powi(self.bits() as i32)
    }

    /// True when only state word A is constrained, so the search may exit after step 60.
    pub fn in_first_word_only(&self) -> bool {
        self.word_masks[1..].iter().all(|&m| m == 0)
    }

    /// Does a finished state (A, B, C, D) match?
    pub fn matches_state(&self, state: &[u32; 4]) -> bool {
        (0..4).all(|i| state[i] & self.word_masks[i] == self.word_values[i])
    }

    /// Does a digest (16 bytes) match?
    pub fn matches_digest(&self, digest: &[u8]) -> bool {
        hex(digest).starts_with(&self.digits)
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
        let digest = crate::recheck::md5_of(b"hello");
        let state: [u32; 4] = std::array::from_fn(|i| u32::from_le_bytes(digest[4 * i..4 * i + 4].try_into().unwrap()));
        for len in 1..=32 {
            let p = Prefix::parse(&hex(&digest)[..len]).unwrap();
            assert!(p.matches_state(&state) && p.matches_digest(&digest), "{len}");
        }
        let wrong = Prefix::parse("0000000000").unwrap();
        assert!(!wrong.matches_state(&state));
    }

    #[test]
    fn bad_prefixes() {
        assert_eq!(Prefix::parse(""), Err(PrefixError::Empty));
        assert_eq!(Prefix::parse("zz"), Err(PrefixError::NotHex("zz".into())));
        assert!(matches!(Prefix::parse(&"a".repeat(33)), Err(PrefixError::TooLong(_, 33))));
        assert_eq!(Prefix::parse("C0FFEE").unwrap().hex(), "c0ffee");
    }
}
