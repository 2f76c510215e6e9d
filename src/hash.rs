//! The three digests an address can be: MD5 (md5sum's), SHA-1 (sha1sum's, and git's object
//! ids) and SHA-256 (sha256sum's, and git's ids in SHA-256 repositories).
//!
//! All three are Merkle–Damgård hashes over 64-byte blocks with the same padding (0x80,
//! zeros, the message's length in bits in the last 8 bytes), so one search plan serves them
//! ([`crate::layout`]). What differs is said here, once: the state's size, the byte order of
//! message words and of the length, the compression function, and how the state prints.

use md5::Digest;

/// SHA-1's round constants, one per 20 steps.
pub const SHA1_K: [u32; 4] = [0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6];

/// SHA-256's round constants: the first 32 bits of the fractional parts of the cube roots
/// of the first 64 primes.
#[rustfmt::skip]
pub const SHA256_K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// Which hash an address is made with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashKind {
    /// MD5: 4 little-endian state words, 128 bits.
    #[default]
    Md5,
    /// SHA-1: 5 big-endian state words, 160 bits.
    Sha1,
    /// SHA-256: 8 big-endian state words, 256 bits.
    Sha256,
}

/// A hash state, the largest (SHA-256's 8 words); MD5 uses the first 4, SHA-1 the first 5.
pub type State = [u32; 8];

impl HashKind {
    /// Its name as `--hash` takes it.
    pub fn name(self) -> &'static str {
        match self {
            HashKind::Md5 => "md5",
            HashKind::Sha1 => "sha1",
            HashKind::Sha256 => "sha256",
        }
    }

    /// Its name in prose ("MD5").
    pub fn title(self) -> &'static str {
        match self {
            HashKind::Md5 => "MD5",
            HashKind::Sha1 => "SHA-1",
            HashKind::Sha256 => "SHA-256",
        }
    }

    /// "an MD5", "a SHA-1".
    pub fn title_with_article(self) -> String {
        let article = if self == HashKind::Md5 { "an" } else { "a" };
        format!("{article} {}", self.title())
    }

    /// The coreutils program that prints it.
    pub fn sum_program(self) -> &'static str {
        match self {
            HashKind::Md5 => "md5sum",
            HashKind::Sha1 => "sha1sum",
            HashKind::Sha256 => "sha256sum",
        }
    }

    /// Steps in one compression: 64, 80 or 64.
    pub fn steps(self) -> usize {
        match self {
            HashKind::Sha1 => 80,
            _ => 64,
        }
    }

    /// State words: 4, 5 or 8.
    pub fn state_words(self) -> usize {
        match self {
            HashKind::Md5 => 4,
            HashKind::Sha1 => 5,
            HashKind::Sha256 => 8,
        }
    }

    /// Hex digits of a digest: 32, 40 or 64.
    pub fn hex_digits(self) -> usize {
        8 * self.state_words()
    }

    /// True for the SHA family, whose words (and length field) are big-endian.
    pub fn big_endian(self) -> bool {
        self != HashKind::Md5
    }

    /// The state before the first block.
    pub fn initial_state(self) -> State {
        match self {
            HashKind::Md5 => widen(&crate::steps::INITIAL_STATE),
            HashKind::Sha1 => widen(&[0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]),
            HashKind::Sha256 => {
                [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
            }
        }
    }

    /// Folds whole blocks into `state` (RustCrypto's compression functions).
    pub fn compress(self, state: &mut State, blocks: &[[u8; 64]]) {
        match self {
            HashKind::Md5 => {
                let mut s: [u32; 4] = state[..4].try_into().unwrap();
                md5::block_api::compress(&mut s, blocks);
                state[..4].copy_from_slice(&s);
            }
            HashKind::Sha1 => {
                let mut s: [u32; 5] = state[..5].try_into().unwrap();
                sha1::block_api::compress(&mut s, blocks);
                state[..5].copy_from_slice(&s);
            }
            HashKind::Sha256 => sha2::block_api::compress256(state, blocks),
        }
    }

    /// Folds one block given as its 16 message words.
    pub fn compress_words(self, state: &mut State, words: &[u32; 16]) {
        let mut block = [0u8; 64];
        for (i, &w) in words.iter().enumerate() {
            block[4 * i..4 * i + 4].copy_from_slice(&self.word_bytes(w));
        }
        self.compress(state, &[block]);
    }

    /// One block's message schedule, from its 16 words: 80 words, or SHA-256's 64 and zeros
    /// after them. SHA only (MD5 has no schedule).
    pub fn schedule(self, words: &[u32; 16]) -> [u32; 80] {
        let mut w = [0u32; 80];
        w[..16].copy_from_slice(words);
        for t in 16..self.steps() {
            w[t] = if self == HashKind::Sha256 {
                let (w2, w15) = (w[t - 2], w[t - 15]);
                let sigma1 = w2.rotate_right(17) ^ w2.rotate_right(19) ^ (w2 >> 10);
                let sigma0 = w15.rotate_right(7) ^ w15.rotate_right(18) ^ (w15 >> 3);
                sigma1.wrapping_add(w[t - 7]).wrapping_add(sigma0).wrapping_add(w[t - 16])
            } else {
                (w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]).rotate_left(1)
            };
        }
        w
    }

    /// Each step's constant plus its [`schedule`](Self::schedule) word: 80 steps, or
    /// SHA-256's 64 and zeros after them.
    pub fn constants_plus_schedule(self, words: &[u32; 16]) -> [u32; 80] {
        let w = self.schedule(words);
        std::array::from_fn(|t| match self {
            _ if t >= self.steps() => 0,
            HashKind::Sha256 => SHA256_K[t].wrapping_add(w[t]),
            _ => SHA1_K[t / 20].wrapping_add(w[t]),
        })
    }

    /// A message word from its 4 bytes.
    pub fn word(self, bytes: [u8; 4]) -> u32 {
        if self.big_endian() {
            u32::from_be_bytes(bytes)
        } else {
            u32::from_le_bytes(bytes)
        }
    }

    /// A message word's 4 bytes.
    pub fn word_bytes(self, word: u32) -> [u8; 4] {
        if self.big_endian() {
            word.to_be_bytes()
        } else {
            word.to_le_bytes()
        }
    }

    /// Where byte `i` (0..4) of a word sits in it, as a left shift.
    pub fn byte_shift(self, i: usize) -> u32 {
        8 * if self.big_endian() { 3 - i as u32 } else { i as u32 }
    }

    /// The 16 message words of a block.
    pub fn block_words(self, block: &[u8; 64]) -> [u32; 16] {
        std::array::from_fn(|i| self.word(block[4 * i..4 * i + 4].try_into().unwrap()))
    }

    /// The padding's last 8 bytes: the message's length in bits.
    pub fn length_field(self, message_bytes: u64) -> [u8; 8] {
        let bits = message_bytes.wrapping_mul(8);
        if self.big_endian() {
            bits.to_be_bytes()
        } else {
            bits.to_le_bytes()
        }
    }

    /// The digest's bytes from a final state, as the sum programs print them.
    pub fn digest_bytes(self, state: &State) -> Vec<u8> {
        state[..self.state_words()].iter().flat_map(|&w| self.word_bytes(w)).collect()
    }

    /// RustCrypto's digest of `bytes`: the independent re-check.
    pub fn digest(self, bytes: &[u8]) -> Vec<u8> {
        let mut hasher = Hasher::new(self);
        hasher.update(bytes);
        hasher.finalize()
    }
}

impl std::fmt::Display for HashKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn widen(words: &[u32]) -> State {
    let mut state = [0; 8];
    state[..words.len()].copy_from_slice(words);
    state
}

/// RustCrypto's hasher for a [`HashKind`]: the re-check of every hit and every written file.
#[derive(Clone)]
pub enum Hasher {
    /// The md-5 crate's.
    Md5(md5::Md5),
    /// The sha1 crate's.
    Sha1(sha1::Sha1),
    /// The sha2 crate's.
    Sha256(sha2::Sha256),
}

impl Hasher {
    /// A fresh hasher.
    pub fn new(kind: HashKind) -> Self {
        match kind {
            HashKind::Md5 => Hasher::Md5(md5::Md5::new()),
            HashKind::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            HashKind::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
        }
    }

    /// Hashes more bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Md5(h) => h.update(bytes),
            Hasher::Sha1(h) => h.update(bytes),
            Hasher::Sha256(h) => h.update(bytes),
        }
    }

    /// The digest.
    pub fn finalize(self) -> Vec<u8> {
        match self {
            Hasher::Md5(h) => h.finalize().to_vec(),
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
        }
    }
}

/// Bytes written are hashed (`io::copy` into a hasher).
impl std::io::Write for Hasher {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Our padding and word order against each crate's own whole-message digest.
    #[test]
    fn state_padding_and_words_agree_with_the_crates() {
        for kind in [HashKind::Md5, HashKind::Sha1, HashKind::Sha256] {
            for len in [0usize, 1, 55, 56, 63, 64, 119, 200] {
                let message: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
                let mut padded = message.clone();
                padded.push(0x80);
                while padded.len() % 64 != 56 {
                    padded.push(0);
                }
                padded.extend(kind.length_field(len as u64));
                let (blocks, _) = padded.as_chunks::<64>();
                let mut state = kind.initial_state();
                for block in blocks {
                    kind.compress_words(&mut state, &kind.block_words(block));
                }
                assert_eq!(kind.digest_bytes(&state), kind.digest(&message), "{kind} {len}");
            }
        }
    }

    #[test]
    fn known_digests() {
        assert_eq!(
            crate::target::hex(&HashKind::Sha1.digest(b"blob 6\0hello\n")),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(crate::target::hex(&HashKind::Md5.digest(b"")), "d41d8cd98f00b204e9800998ecf8427e");
    }
}
