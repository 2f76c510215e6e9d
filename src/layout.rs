//! Where the suffix's symbols fall in the MD5 blocks, and how a candidate index maps to them.
//!
//! ```text
//!  content (n bytes)                       suffix: L symbols of w bytes, most significant first
//! |== complete blocks ==|== tail ==|[ high digits ... ][ top ][  mid (u32)  ][ inner ]|trailer|80 00..|len64|
//!  folded once into       ^                            '-------------- final block (64 bytes) --------------'
//!  Content::midstate      |                 e = end of the suffix in the final block, e + t <= 55
//!                         '- with the high digits, folded into Segment::midstate once per segment
//! ```
//!
//! * `trailer`: `t` constant bytes of the content that follow the suffix (the file's final
//!   line break, say: [`crate::placement`]). They share the final block with the low digits,
//!   so a candidate still costs one compression; the kernels never see them apart from the
//!   block's constant words.
//!
//! * `inner`: the lowest `g` digits, `k^g` values (2048 to 4096 where possible: for example
//!   3125 = five whitespace symbols, over two 32-bit words). Kernels loop over a precomputed
//!   table of the message words they touch: the innermost loop changes only these words.
//! * `mid`: the next `m` digits, `k^m <= 2^32` values: one GPU invocation or one CPU step
//!   per value. Steps before the first inner word depend only on (segment, mid): computed
//!   once per mid value, not once per candidate.
//! * `top` and `high`: fixed for a whole [`Segment`]; high digits lie in earlier blocks and
//!   are folded into the segment midstate.
//!
//! * SHA's split layout ([`Layout::final_block_words`], `--fast-layout`): the suffix ends so
//!   that the inner digits alone fill the final block's data, and the mid digits end the
//!   block before it. Every candidate's final block then differs only by its inner value,
//!   the same for every mid value: its message schedule is computed once per search, and a
//!   kernel's lanes run over mid values, each with the state its own block gave. A candidate
//!   costs one compression's steps with no schedule (SHA-256: 64 steps of 16 operations,
//!   where the final-block layout runs 52 to 60 steps and their 48 schedule words).
//!
//! `L` is the shortest length whose keyspace is far larger (2^6 times) than the 2^bits
//! candidates a hit takes on average, lengthened by as few symbols as needed so that the
//! final block holds enough low digits for segments of at least `2^min_segment_log2`.

use crate::alphabet::Alphabet;
use crate::hash::{HashKind, State};
use crate::input::Content;
use crate::steps;

/// Margin between the keyspace and the expected number of trials: the chance that a
/// keyspace of `2^(bits + 6)` holds no hit is `e^-64`.
pub const KEYSPACE_MARGIN_BITS: u32 = 6;
/// Smallest segment (candidates sharing one midstate) the layout accepts, as log2.
pub const DEFAULT_MIN_SEGMENT_LOG2: u32 = 34;
/// Inner loops of fewer values than this spend too long on per-mid set-up (measured: 125
/// values ran 20% slower than 3125 on AVX-512).
const MIN_INNER_VALUES: u64 = 2048;
const MAX_INNER_VALUES: u64 = 4096;
/// A SHA kernel runs its steps from the first inner word rounded down to a multiple of 4
/// ([`crate::cpu::sha::first_word_bucket`]), so a SHA layout takes fewer inner digits where
/// that moves the inner words up to the next multiple of 4: up to 4 steps of 64 or 80 fewer
/// a candidate. A SHA candidate costs several MD5 ones, so the per-mid set-up weighs less
/// and a shorter inner loop is worth it, down to this many values.
const MIN_SHA_INNER_VALUES: u64 = 512;
/// The most inner words a kernel handles: four 3-byte symbols span four words at worst.
pub const MAX_INNER_WORDS: usize = 4;

/// The static part of the search plan: the same for every segment of one search.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The hash: its word byte order, length field and compression.
    pub hash: HashKind,
    /// The suffix symbols.
    pub alphabet: Alphabet,
    /// Message bytes before the suffix: the address's header, then the content's.
    pub content_len: u64,
    /// Content bytes after the suffix, constant for the whole search (see the module's picture).
    pub trailer: Vec<u8>,
    /// Symbols in the suffix (L).
    pub suffix_len: usize,
    /// Offset of the final block in the message.
    pub final_block_offset: u64,
    /// End of the suffix in the final block (e); the trailer, then the 0x80 byte, follow.
    pub data_end: usize,
    /// Lowest digits, inner (g).
    pub inner_digits: usize,
    /// Digits above the inner ones that one segment varies (m); `k^m <= 2^32`.
    pub mid_digits: usize,
    /// First message word an inner digit touches: steps before it run once per mid value.
    pub first_inner_word: usize,
    /// How many consecutive words the inner digits touch, from `first_inner_word`.
    pub inner_word_count: usize,
    /// For each inner value, its bytes as words `first_inner_word..`, zeros elsewhere.
    pub inner_table: Vec<[u32; MAX_INNER_WORDS]>,
    /// For each mid digit (lowest first) and symbol value: (word, bits) pairs it ORs in.
    pub mid_symbol_words: Vec<Vec<[(usize, u32); 2]>>,
    /// The split layout (SHA only): the mid digits end the block before the final one, and
    /// these are the final block's words with the inner digits' bytes zero, the same for
    /// every segment and mid value. None: the mid digits share the final block.
    pub final_block_words: Option<[u32; 16]>,
}

/// Segment = one value of the digits above `inner` and `mid`: one midstate, one set of
/// constant words. Candidates in a segment: `mid_count * inner_count`.
#[derive(Clone, Debug)]
pub struct Segment {
    /// Index of the candidate with mid = inner = 0.
    pub index_base: u128,
    /// The hash state entering the block the mid digits lie in: the final block, or in a
    /// split layout the one before it.
    pub midstate: State,
    /// That block's words with every constant byte in place and zeros where the mid and
    /// inner digits go.
    pub base_words: [u32; 16],
}

#[derive(Debug, thiserror::Error)]
/// Why no layout fits.
pub enum LayoutError {
    #[error("no suffix length up to {0} symbols fits the final MD5 block for this alphabet; try another alphabet")]
    /// No suffix length up to this fits the final block.
    NoLength(usize),
}

impl Layout {
    /// Plans a search for `bits` target bits after `content`.
    pub fn plan(
        content: &Content,
        alphabet: &Alphabet,
        bits: u32,
        min_segment_log2: u32,
    ) -> Result<Layout, LayoutError> {
        let min_len = min_suffix_len(alphabet.radix(), bits);
        Self::plan_from(content, alphabet, min_len, min_segment_log2)
    }

    /// Fails as [`Layout::plan`] (and [`Layout::plan_fast`]) would, without building the
    /// tables: a batch checks every page before its first search.
    pub fn check(content: &Content, alphabet: &Alphabet, bits: u32, min_segment_log2: u32) -> Result<(), LayoutError> {
        Fit::find(content, alphabet, min_suffix_len(alphabet.radix(), bits), min_segment_log2).map(drop)
    }

    /// The fastest layout within 64 symbols of the shortest: the suffix grows until the data
    /// ends late in the final block, so more steps run once per mid value instead of once per
    /// candidate (for example 59 steps per candidate become 50), or for SHA until it splits
    /// (see the module's notes), whichever costs fewer operations a candidate
    /// ([`Layout::ops_per_candidate`]). Ties go to the shorter suffix.
    pub fn plan_fast(
        content: &Content,
        alphabet: &Alphabet,
        bits: u32,
        min_segment_log2: u32,
    ) -> Result<Layout, LayoutError> {
        let best = Fit::fastest(content, alphabet, bits, min_segment_log2)?;
        Ok(Self::with_fit(content, alphabet, best))
    }

    /// The suffix length (in symbols) [`Layout::plan_fast`] would take once `content` is
    /// folded for it: for git's ids, whose header's length follows the suffix's, the length
    /// to fold for before planning.
    pub fn fast_suffix_len(
        content: &Content,
        alphabet: &Alphabet,
        bits: u32,
        min_segment_log2: u32,
    ) -> Result<usize, LayoutError> {
        Fit::fastest(content, alphabet, bits, min_segment_log2).map(|fit| fit.len)
    }

    /// Plans with a suffix of at least `min_len` symbols (grown searches start here).
    pub fn plan_from(
        content: &Content,
        alphabet: &Alphabet,
        min_len: usize,
        min_segment_log2: u32,
    ) -> Result<Layout, LayoutError> {
        Ok(Self::with_fit(content, alphabet, Fit::find(content, alphabet, min_len, min_segment_log2)?))
    }

    fn with_fit(content: &Content, alphabet: &Alphabet, fit: Fit) -> Layout {
        let Fit { len, e, split, .. } = fit;
        let (content_len, trailer) = (content.message_len(), &content.trailer);
        let hash = content.address().hash;
        let k = alphabet.radix() as u64;
        let w = alphabet.width();
        let inner_digits = fit.inner_digits(hash, alphabet);
        let first_inner_word = fit.first_inner_word(hash, alphabet);
        let inner_word_count = (e - 1) / 4 + 1 - first_inner_word;
        let mid_digits = fit.mid_digits(hash, alphabet);
        let inner_table = inner_table(hash, alphabet, e, inner_digits, first_inner_word);
        let mid_end = mid_digits_end(split, e, inner_digits, w);
        let mid_symbol_words = (0..mid_digits)
            .map(|j| {
                let offset = mid_end - (j + 1) * w;
                (0..k as u32)
                    .map(|d| {
                        let mut words = [0u32; 16];
                        or_symbol(hash, &mut words, offset, alphabet.symbol(d));
                        let first = offset / 4;
                        let second = (first + 1).min(15);
                        [(first, words[first]), (second, if second != first { words[second] } else { 0 })]
                    })
                    .collect()
            })
            .collect();
        let total = content_len + (len * w + trailer.len()) as u64;
        let final_block_words = split.then(|| {
            let mut block = [0u8; 64];
            block[e..e + trailer.len()].copy_from_slice(trailer);
            block[e + trailer.len()] = 0x80;
            block[56..].copy_from_slice(&hash.length_field(total));
            hash.block_words(&block)
        });
        Layout {
            hash,
            alphabet: alphabet.clone(),
            content_len,
            trailer: trailer.to_vec(),
            suffix_len: len,
            final_block_offset: total - (e + trailer.len()) as u64,
            data_end: e,
            inner_digits,
            mid_digits,
            first_inner_word,
            inner_word_count,
            inner_table,
            mid_symbol_words,
            final_block_words,
        }
    }

    /// Roughly what a candidate costs the CPU kernels, in vector operations: what
    /// [`Layout::plan_fast`] compares (MD5's figure is its steps).
    pub fn ops_per_candidate(&self) -> usize {
        ops_per_candidate(self.hash, self.is_split(), self.first_inner_word)
    }

    /// Is this SHA's split layout (see the module's notes)?
    pub fn is_split(&self) -> bool {
        self.final_block_words.is_some()
    }

    /// Where the mid digits end in the block they lie in (byte offset): see
    /// [`mid_digits_end`].
    pub fn mid_digits_end(&self) -> usize {
        mid_digits_end(self.is_split(), self.data_end, self.inner_digits, self.alphabet.width())
    }

    /// Steps each candidate costs: MD5's from the first inner word to the early exit at step
    /// 60; SHA's from the first word of the kernel's version
    /// ([`crate::cpu::sha::first_word_bucket`]) to the end, or all of them in a split layout
    /// (whose schedule is computed once per search).
    pub fn steps_per_candidate(&self) -> usize {
        match self.hash {
            hash if self.is_split() => hash.steps(),
            HashKind::Md5 => steps::LAST_STEP_UPDATING_A + 1 - self.first_inner_word,
            hash => hash.steps() - crate::cpu::sha::first_word_bucket(self.first_inner_word),
        }
    }

    /// Alphabet size, the base of candidate indices.
    pub fn radix(&self) -> u64 {
        self.alphabet.radix() as u64
    }

    /// Inner values, `k^g`.
    pub fn inner_count(&self) -> u32 {
        self.inner_table.len() as u32
    }

    /// Mid values per segment, `k^m` (at most 2^32).
    pub fn mid_count(&self) -> u64 {
        self.radix().pow(self.mid_digits as u32)
    }

    /// Candidates per segment.
    pub fn segment_size(&self) -> u128 {
        self.mid_count() as u128 * self.inner_count() as u128
    }

    /// The whole keyspace, `k^L`, saturating at u128::MAX.
    pub fn keyspace(&self) -> u128 {
        (self.radix() as u128).checked_pow(self.suffix_len as u32).unwrap_or(u128::MAX)
    }

    /// Number of segments, saturating.
    pub fn segment_count(&self) -> u128 {
        self.keyspace().div_ceil(self.segment_size())
    }

    /// The suffix bytes of a candidate index: its base-k digits, most significant first.
    pub fn suffix(&self, index: u128) -> Vec<u8> {
        let k = self.radix() as u128;
        let mut digits = vec![0u32; self.suffix_len];
        let mut rest = index;
        for d in digits.iter_mut().rev() {
            *d = (rest % k) as u32;
            rest /= k;
        }
        digits.iter().flat_map(|&d| self.alphabet.symbol(d).iter().copied()).collect()
    }

    /// Sets up segment `segment_number`: folds the blocks between the content's last complete
    /// block and the block the mid digits lie in, and lays out that block's constant words
    /// (the final block's, with its padding, unless the layout is split).
    pub fn segment(&self, content_midstate: State, content_tail: &[u8], segment_number: u128) -> Segment {
        let index_base = segment_number * self.segment_size();
        let suffix = self.suffix(index_base);
        let folded_start = self.content_len - content_tail.len() as u64;
        let mut message: Vec<u8> = content_tail.iter().chain(&suffix).chain(&self.trailer).copied().collect();
        let final_start = (self.final_block_offset - folded_start) as usize;
        let mid_start = if self.is_split() { final_start - 64 } else { final_start };
        let mut midstate = content_midstate;
        let (blocks, _) = message[..mid_start].as_chunks::<64>();
        self.hash.compress(&mut midstate, blocks);
        let w = self.alphabet.width();
        let mut block = [0u8; 64];
        if self.is_split() {
            block.copy_from_slice(&message[mid_start..final_start]);
            block[64 - self.mid_digits * w..].fill(0);
            return Segment { index_base, midstate, base_words: self.hash.block_words(&block) };
        }
        let varying = (self.inner_digits + self.mid_digits) * w;
        let data = &mut message[final_start..];
        let e = self.data_end;
        let end = e + self.trailer.len();
        data[e - varying..e].fill(0);
        block[..end].copy_from_slice(data);
        block[end] = 0x80;
        let message_len = self.content_len + (self.suffix_len * w + self.trailer.len()) as u64;
        block[56..].copy_from_slice(&self.hash.length_field(message_len));
        Segment { index_base, midstate, base_words: self.hash.block_words(&block) }
    }

    /// The words of the block the mid digits lie in for one mid value of a segment (in the
    /// final block, inner words left zero).
    pub fn mid_words(&self, segment: &Segment, mid: u32) -> [u32; 16] {
        let mut words = segment.base_words;
        let k = self.radix() as u32;
        let mut rest = mid;
        for table in &self.mid_symbol_words {
            for &(word, bits) in &table[(rest % k) as usize] {
                words[word] |= bits;
            }
            rest /= k;
        }
        words
    }

    /// The final block's words for one candidate (segment, mid, inner), from the mid block's
    /// (a layout that is not split) or the search's constant final block (a split one).
    fn final_words(&self, segment: &Segment, mid: u32, inner: u32) -> [u32; 16] {
        self.with_inner(self.final_block_words.unwrap_or_else(|| self.mid_words(segment, mid)), inner)
    }

    /// `words` with inner value `inner`'s bytes or-ed in.
    fn with_inner(&self, mut words: [u32; 16], inner: u32) -> [u32; 16] {
        let inner_words = &self.inner_table[inner as usize][..self.inner_word_count];
        for (word, bits) in words[self.first_inner_word..].iter_mut().zip(inner_words) {
            *word |= bits;
        }
        words
    }

    /// One candidate's blocks from the segment's midstate on: its final block, after the
    /// block its mid digits lie in where the layout is split.
    pub fn candidate_blocks(&self, segment: &Segment, mid: u32, inner: u32) -> Vec<[u32; 16]> {
        let before = self.is_split().then(|| self.mid_words(segment, mid));
        before.into_iter().chain([self.final_words(segment, mid, inner)]).collect()
    }

    /// The hash state after one candidate's last block, before the digest is read from it:
    /// what the kernels compute, the long way (by RustCrypto's compression functions).
    pub fn candidate_state(&self, segment: &Segment, mid: u32, inner: u32) -> State {
        let mut state = segment.midstate;
        for words in self.candidate_blocks(segment, mid, inner) {
            self.hash.compress_words(&mut state, &words);
        }
        state
    }

    /// A split layout's final blocks, one per inner value, as each step's constant plus its
    /// schedule word ([`HashKind::constants_plus_schedule`]): the same for every segment and
    /// mid value, so computed once per search. Empty for a layout that is not split.
    pub fn final_schedules(&self) -> Vec<[u32; 80]> {
        let Some(words) = self.final_block_words else { return Vec::new() };
        (0..self.inner_count()).map(|inner| self.hash.constants_plus_schedule(&self.with_inner(words, inner))).collect()
    }

    /// Candidate index of (segment, mid, inner).
    pub fn index_of(&self, segment: &Segment, mid: u32, inner: u32) -> u128 {
        segment.index_base + mid as u128 * self.inner_count() as u128 + inner as u128
    }

    /// Splits an index into (segment number, mid, inner).
    pub fn split_index(&self, index: u128) -> (u128, u32, u32) {
        let inner = (index % self.inner_count() as u128) as u32;
        let rest = index / self.inner_count() as u128;
        ((rest / self.mid_count() as u128), (rest % self.mid_count() as u128) as u32, inner)
    }
}

/// Where the mid digits end (byte offset in their block): in the final block just before the
/// inner digits, which end at `data_end`; in a split layout at the end of the block before.
fn mid_digits_end(split: bool, data_end: usize, inner_digits: usize, width: usize) -> usize {
    if split {
        64
    } else {
        data_end - inner_digits * width
    }
}

/// Vector operations a candidate costs, as the CPU kernels count them (BENCHMARKS.md), for
/// comparing layouts: MD5 a step from the first inner word; SHA-1 8 a step from the kernel's
/// first word (its schedule word is one xor), SHA-256 17 a step and about 425 for its
/// schedule; a split layout 6 (SHA-1) or 16 (SHA-256) for each of all its steps and none for
/// the schedule, which it computes once per search.
fn ops_per_candidate(hash: HashKind, split: bool, first_inner_word: usize) -> usize {
    let from = crate::cpu::sha::first_word_bucket(first_inner_word);
    match (hash, split) {
        (HashKind::Sha1, true) => 80 * 6,
        (HashKind::Sha256, true) => 64 * 16,
        (HashKind::Md5, _) => steps::LAST_STEP_UPDATING_A + 1 - first_inner_word,
        (HashKind::Sha1, false) => (80 - from) * 8,
        (HashKind::Sha256, false) => (64 - from) * 17 + 425,
    }
}

/// Shortest suffix whose keyspace exceeds `2^(bits + margin)`.
pub fn min_suffix_len(radix: u32, bits: u32) -> usize {
    let needed = (bits + KEYSPACE_MARGIN_BITS) as f64;
    (needed / (radix as f64).log2()).ceil().max(1.0) as usize
}

fn or_symbol(hash: HashKind, words: &mut [u32; 16], offset: usize, symbol: &[u8]) {
    for (i, &b) in symbol.iter().enumerate() {
        let pos = offset + i;
        words[pos / 4] |= (b as u32) << hash.byte_shift(pos % 4);
    }
}

/// A suffix length that fits the final block, before any table is built.
#[derive(Clone, Copy, Debug)]
struct Fit {
    /// Symbols in the suffix.
    len: usize,
    /// Suffix digits inside the final block (in a split fit, exactly the inner digits).
    final_digits: usize,
    /// End of the suffix in the final block (the trailer follows).
    e: usize,
    /// SHA's split layout: the mid digits end the block before the final one.
    split: bool,
}

/// Digits a segment should hold at least (`2^min_segment_log2` candidates), capped so that
/// wide or two-symbol alphabets still fit whatever the content length, and so that a trailer
/// leaves room for them (smaller segments cost a little set-up; one symbol less, for one that
/// straddles the block's start).
fn segment_digits(alphabet: &Alphabet, trailer: usize, min_segment_log2: u32) -> usize {
    let (k, w) = (alphabet.radix() as f64, alphabet.width());
    let room = (55usize.saturating_sub(trailer) / w).saturating_sub(1);
    ((min_segment_log2 as f64 / k.log2()).ceil() as usize).min(48 / w).min(room)
}

impl Fit {
    /// The shortest suffix of at least `min_len` symbols after `content`'s head whose data
    /// (suffix, then the content's trailer) ends early enough in its block for the padding,
    /// with the trailer and enough digits for a segment in that block.
    fn find(content: &Content, alphabet: &Alphabet, min_len: usize, min_segment_log2: u32) -> Result<Fit, LayoutError> {
        let head = content.message_len();
        Self::find_with(&|_| head, content.trailer.len(), alphabet, min_len, min_segment_log2)
    }

    /// As [`Fit::find`], with the message's length before a suffix of `len` symbols given
    /// by `message_len(len)` (a git header's length follows the suffix's).
    fn find_with(
        message_len: &dyn Fn(usize) -> u64,
        trailer: usize,
        alphabet: &Alphabet,
        min_len: usize,
        min_segment_log2: u32,
    ) -> Result<Fit, LayoutError> {
        let w = alphabet.width();
        let segment_digits = segment_digits(alphabet, trailer, min_segment_log2);
        let limit = min_len + 64 * 4;
        for len in min_len.max(1)..limit {
            let content_len = message_len(len);
            let Some(e) = Self::data_end(content_len, len, w, trailer) else { continue };
            let total = content_len + (len * w + trailer) as u64;
            let suffix_start_in_block = content_len as i128 - (total - (e + trailer) as u64) as i128;
            let final_digits = if suffix_start_in_block >= 0 { len } else { e / w };
            if final_digits < segment_digits.min(len) {
                continue;
            }
            return Ok(Fit { len, final_digits, e, split: false });
        }
        Err(LayoutError::NoLength(limit))
    }

    /// Where a suffix of `len` symbols after `content_len` bytes ends in its final block, if
    /// the trailer and the padding fit after it there.
    fn data_end(content_len: u64, len: usize, w: usize, trailer: usize) -> Option<usize> {
        let end = ((content_len + (len * w + trailer) as u64) % 64) as usize;
        (end <= 55 && end >= trailer).then(|| end - trailer)
    }

    /// The split fit of exactly `len` symbols, if there is one: the final block's data is
    /// whole inner digits (an inner loop of [`MIN_SHA_INNER_VALUES`] to [`MAX_INNER_VALUES`]
    /// values within [`MAX_INNER_WORDS`] words), so a symbol boundary is the block's start,
    /// and the block before holds enough mid digits for a segment.
    fn split_at(
        message_len: &dyn Fn(usize) -> u64,
        trailer: usize,
        hash: HashKind,
        alphabet: &Alphabet,
        len: usize,
        min_segment_log2: u32,
    ) -> Option<Fit> {
        let (k, w) = (alphabet.radix() as u64, alphabet.width());
        let e = Self::data_end(message_len(len), len, w, trailer)?;
        let g = e / w;
        let values = k.saturating_pow(g as u32);
        let whole = e.is_multiple_of(w) && g > 0 && g < len && e <= 4 * MAX_INNER_WORDS;
        if !whole || !(MIN_SHA_INNER_VALUES..=MAX_INNER_VALUES).contains(&values) {
            return None;
        }
        let fit = Fit { len, final_digits: g, e, split: true };
        (g + fit.mid_digits(hash, alphabet) >= segment_digits(alphabet, trailer, min_segment_log2).min(len))
            .then_some(fit)
    }

    /// The fit a search costs least with, within 64 symbols of the shortest for `bits`
    /// ([`Fit::cost`]); ties go to the shorter suffix. Compared before any is built (building
    /// one is its tables), and before the content is folded for any (for git's ids each
    /// length has its own header).
    fn fastest(content: &Content, alphabet: &Alphabet, bits: u32, min_segment_log2: u32) -> Result<Fit, LayoutError> {
        let w = alphabet.width() as u64;
        let message_len = |len: usize| content.message_len_for_suffix(len as u64 * w);
        let (trailer, hash) = (content.trailer.len(), content.address().hash);
        let find = |len| Fit::find_with(&message_len, trailer, alphabet, len, min_segment_log2);
        let shortest = find(min_suffix_len(alphabet.radix(), bits))?;
        let cost = |fit: &Fit| fit.cost(hash, alphabet);
        let mut best = shortest;
        let mut len = shortest.len + 1;
        while len < shortest.len + 64 {
            let candidate = find(len)?;
            len = candidate.len + 1;
            if candidate.len < shortest.len + 64 && cost(&candidate) < cost(&best) {
                best = candidate;
            }
        }
        if hash != HashKind::Md5 {
            for len in shortest.len..shortest.len + 64 {
                let split = Fit::split_at(&message_len, trailer, hash, alphabet, len, min_segment_log2);
                if let Some(split) =
                    split.filter(|s| cost(s) < cost(&best) || (cost(s) == cost(&best) && len < best.len))
                {
                    best = split;
                }
            }
        }
        Ok(best)
    }

    fn cost(&self, hash: HashKind, alphabet: &Alphabet) -> usize {
        ops_per_candidate(hash, self.split, self.first_inner_word(hash, alphabet))
    }

    fn inner_digits(&self, hash: HashKind, alphabet: &Alphabet) -> usize {
        if self.split {
            return self.final_digits;
        }
        choose_inner_digits(hash, alphabet.radix() as u64, alphabet.width(), self.e, self.final_digits)
    }

    fn first_inner_word(&self, hash: HashKind, alphabet: &Alphabet) -> usize {
        (self.e - self.inner_digits(hash, alphabet) * alphabet.width()) / 4
    }

    /// Digits above the inner ones that one segment varies: those left in the final block,
    /// or in a split fit the symbols that end the block before; at most `2^32` values.
    fn mid_digits(&self, hash: HashKind, alphabet: &Alphabet) -> usize {
        let (k, w) = (alphabet.radix() as u64, alphabet.width());
        let room = if self.split {
            (self.len - self.final_digits).min(64 / w)
        } else {
            self.final_digits - self.inner_digits(hash, alphabet)
        };
        let mut mid_digits = 0;
        while mid_digits < room && k.pow(mid_digits as u32 + 1) < 1 << 32 {
            mid_digits += 1;
        }
        mid_digits
    }
}

/// The inner table: entry `v` holds the words, from `first_inner_word`, of the `inner_digits`
/// lowest digits of `v` (digit j ends j + 1 symbols before the data's end). Built one digit
/// at a time, each entry a single OR, because every search (every page of a batch) builds it
/// again: digit by digit per entry cost more than a short page's search.
fn inner_table(
    hash: HashKind,
    alphabet: &Alphabet,
    e: usize,
    inner_digits: usize,
    first_inner_word: usize,
) -> Vec<[u32; MAX_INNER_WORDS]> {
    let w = alphabet.width();
    let mut table = vec![[0u32; MAX_INNER_WORDS]];
    for j in 0..inner_digits {
        let place: Vec<[u32; MAX_INNER_WORDS]> = (0..alphabet.radix())
            .map(|d| {
                let mut words = [0u32; 16];
                or_symbol(hash, &mut words, e - (j + 1) * w, alphabet.symbol(d));
                std::array::from_fn(|i| words.get(first_inner_word + i).copied().unwrap_or(0))
            })
            .collect();
        // Value v + d * k^j: digit j is d, the lower digits those of v.
        table = place.iter().flat_map(|p| table.iter().map(move |t| std::array::from_fn(|i| t[i] | p[i]))).collect();
    }
    table
}

/// Picks how many low digits form the inner table: enough values to fill SIMD lanes, few
/// enough to stay in L1, and preferably starting on a word boundary so that the words the
/// inner loop changes hold no mid-digit bytes. For SHA, first the latest first inner word
/// a SHA kernel starts at ([`MIN_SHA_INNER_VALUES`]).
fn choose_inner_digits(hash: HashKind, k: u64, w: usize, e: usize, final_digits: usize) -> usize {
    let fits = |g: usize| {
        let values = k.saturating_pow(g as u32);
        // Digits that would start before the block (a caller's final digits never do).
        let Some(start) = e.checked_sub(g * w) else { return false };
        let span = (e - 1) / 4 + 1 - start / 4;
        g <= final_digits && values <= MAX_INNER_VALUES && span <= MAX_INNER_WORDS
    };
    let candidates: Vec<usize> = (1..=final_digits).filter(|&g| fits(g)).collect();
    if hash != HashKind::Md5 {
        let start = |g: usize| crate::cpu::sha::first_word_bucket((e - g * w) / 4);
        let sha_fastest = candidates
            .iter()
            .filter(|&&g| k.saturating_pow(g as u32) >= MIN_SHA_INNER_VALUES)
            .max_by_key(|&&g| (start(g), g));
        if let Some(&g) = sha_fastest {
            return g;
        }
    }
    let big_enough = |g: &&usize| k.saturating_pow(**g as u32) >= MIN_INNER_VALUES;
    candidates
        .iter()
        .filter(big_enough)
        .find(|&&g| (e - g * w).is_multiple_of(4))
        .or_else(|| candidates.iter().find(big_enough))
        .or_else(|| candidates.last())
        .copied()
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;

    fn check_layout(content: &[u8], alphabet: &Alphabet, bits: u32, min_segment_log2: u32) {
        check_layout_before(content, 0, alphabet, bits, min_segment_log2);
    }

    /// The suffix goes before the last `trailer` bytes of `content`; MD5 of the bytes.
    fn check_layout_before(content: &[u8], trailer: usize, alphabet: &Alphabet, bits: u32, min_segment_log2: u32) {
        check_address_layout(content, trailer, Address::MD5, alphabet, bits, min_segment_log2);
    }

    /// As [`check_layout_before`], for any address: RustCrypto's digest of the message (git's
    /// header, the head, the candidate's suffix, the trailer) against the layout's words,
    /// for the shortest layout and the fastest (`--fast-layout`).
    fn check_address_layout(
        content: &[u8],
        trailer: usize,
        address: Address,
        alphabet: &Alphabet,
        bits: u32,
        min_segment_log2: u32,
    ) {
        for fast_layout in [false, true] {
            let mut c = Content::from_bytes(content);
            c.place_suffix_before(trailer).unwrap();
            c.set_address(address);
            let prefix = crate::target::Prefix::parse_for(&"1".repeat(bits as usize / 4), address.hash).unwrap();
            let options = crate::engine::EngineOptions { min_segment_log2, fast_layout, ..Default::default() };
            crate::engine::fold_address(&mut c, &prefix, alphabet, &options).unwrap();
            let (head, tail_bytes) = content.split_at(content.len() - trailer);
            let layout = crate::engine::plan(&c, &prefix, alphabet, &options).unwrap();
            assert!(layout.data_end <= 55);
            if fast_layout {
                // No dearer per candidate than the shortest layout, for at most 63 more symbols
                // (a git header folded for each length on its own).
                let mut s = Content::from_bytes(content);
                s.place_suffix_before(trailer).unwrap();
                s.set_address(address);
                let shortest_options = crate::engine::EngineOptions { min_segment_log2, ..Default::default() };
                crate::engine::fold_address(&mut s, &prefix, alphabet, &shortest_options).unwrap();
                let shortest = crate::engine::plan(&s, &prefix, alphabet, &shortest_options).unwrap();
                assert!(
                    layout.ops_per_candidate() <= shortest.ops_per_candidate(),
                    "{} len {}",
                    address.describe(),
                    content.len()
                );
                assert!(layout.suffix_len < shortest.suffix_len + 64);
            }
            assert!(layout.keyspace() >= 1u128 << (bits + KEYSPACE_MARGIN_BITS).min(127));
            let segments = layout.segment_count().min(3);
            for segment_number in 0..segments {
                let segment = layout.segment(c.midstate, &c.tail, segment_number);
                let last_mid = layout.mid_count().min(1 << 20) as u32 - 1;
                for (mid, inner) in [
                    (0u32, 0u32),
                    (1.min(last_mid), 2.min(layout.inner_count() - 1)),
                    (last_mid, layout.inner_count() - 1),
                ] {
                    let index = layout.index_of(&segment, mid, inner);
                    assert_eq!(layout.split_index(index), (segment_number, mid, inner));
                    let state = layout.candidate_state(&segment, mid, inner);
                    let mut message = head.to_vec();
                    message.extend(layout.suffix(index));
                    message.extend(tail_bytes);
                    assert_eq!(
                        layout.hash.digest_bytes(&state),
                        address.of(&message),
                        "{} len {} index {index}",
                        address.describe(),
                        content.len()
                    );
                }
            }
        }
    }

    /// SHA-1 and SHA-256, of the bytes and as git's ids (whose header's length digits move
    /// the blocks' boundaries as the content grows).
    #[test]
    fn every_address() {
        use crate::address::GitObject;
        use crate::hash::HashKind;
        for hash in [HashKind::Sha1, HashKind::Sha256] {
            for git_object in [None, Some(GitObject::Blob), Some(GitObject::Commit)] {
                let address = Address { hash, git_object };
                for len in (0..130).chain([990, 995, 1000, 9990]) {
                    let content: Vec<u8> = (0..len).map(|i| (i * 3) as u8).collect();
                    for trailer in [0, 1.min(len)] {
                        check_address_layout(&content, trailer, address, &Alphabet::whitespace(), 24, 20);
                        check_address_layout(&content, trailer, address, &Alphabet::space_tab(), 8, 8);
                    }
                }
            }
        }
    }

    /// A SHA layout's inner words start where the SHA kernels start whenever some inner
    /// loop of at least [`MIN_SHA_INNER_VALUES`] values allows it; MD5 keeps the longer loop.
    #[test]
    fn sha_inner_words_start_where_the_kernels_start() {
        use crate::cpu::sha::first_word_bucket;
        let mut moved = 0;
        for (k, w) in [(3u64, 1usize), (2, 1), (4, 3), (16, 1)] {
            for e in 8..=55 {
                let first = |g: usize| (e - g * w) / 4;
                // The digits that end at e, as a layout's final block holds them.
                let digits = e / w;
                let sha = choose_inner_digits(HashKind::Sha1, k, w, e, digits);
                let md5 = choose_inner_digits(HashKind::Md5, k, w, e, digits);
                let best = (1..=digits)
                    .filter(|&g| (e - 1) / 4 + 1 - first(g) <= MAX_INNER_WORDS)
                    .filter(|&g| (MIN_SHA_INNER_VALUES..=MAX_INNER_VALUES).contains(&k.saturating_pow(g as u32)))
                    .map(|g| first_word_bucket(first(g)))
                    .max();
                if let Some(best) = best {
                    assert!(k.saturating_pow(sha as u32) >= MIN_SHA_INNER_VALUES, "k {k} w {w} e {e}: {sha} digits");
                    assert_eq!(first_word_bucket(first(sha)), best, "k {k} w {w} e {e}: {sha} digits");
                }
                moved += usize::from(first_word_bucket(first(sha)) > first_word_bucket(first(md5)));
            }
        }
        assert!(moved > 0, "no layout started later");
    }

    #[test]
    fn every_content_length_mod_64_and_alphabet() {
        for alphabet in [
            Alphabet::whitespace(),
            Alphabet::space_tab(),
            Alphabet::zero_width(),
            Alphabet::parse("bytes:c2a0,2020").unwrap(),
        ] {
            for len in 0..130 {
                let content: Vec<u8> = (0..len).map(|i| i as u8).collect();
                check_layout(&content, &alphabet, 24, DEFAULT_MIN_SEGMENT_LOG2);
                check_layout(&content, &alphabet, 8, 8);
            }
        }
    }

    /// A suffix before constant bytes (a final "\n", "\r\n", or a short last line): the
    /// trailer shares the final block with the low digits, whatever the lengths.
    #[test]
    fn suffixes_before_a_trailer_hash_as_the_whole_message() {
        for alphabet in [Alphabet::space_tab_lf(), Alphabet::space_tab(), Alphabet::parse("bytes:2020,0d0a").unwrap()] {
            for trailer in [1, 2, 17, 32] {
                for len in trailer..trailer + 130 {
                    let content: Vec<u8> = (0..len).map(|i| (i * 5 + 1) as u8).collect();
                    check_layout_before(&content, trailer, &alphabet, 24, DEFAULT_MIN_SEGMENT_LOG2);
                    check_layout_before(&content, trailer, &alphabet, 8, 8);
                }
            }
        }
    }

    #[test]
    fn inner_table_entries_hold_their_values_digits() {
        for (alphabet, content_len) in [
            (Alphabet::whitespace(), 39),
            (Alphabet::space_tab(), 30),
            (Alphabet::whitespace(), 1000),
            (Alphabet::zero_width(), 5),
        ] {
            let content = Content::from_bytes(&vec![b'x'; content_len]);
            let layout = Layout::plan_from(&content, &alphabet, 13, DEFAULT_MIN_SEGMENT_LOG2).unwrap();
            let k = alphabet.radix() as u64;
            assert_eq!(layout.inner_table.len() as u64, k.pow(layout.inner_digits as u32));
            for (v, entry) in layout.inner_table.iter().enumerate() {
                // Each digit written on its own, lowest first: the table's definition.
                let mut words = [0u32; 16];
                for j in 0..layout.inner_digits {
                    let digit = (v as u64 / k.pow(j as u32) % k) as u32;
                    or_symbol(
                        HashKind::Md5,
                        &mut words,
                        layout.data_end - (j + 1) * alphabet.width(),
                        alphabet.symbol(digit),
                    );
                }
                let expected: [u32; MAX_INNER_WORDS] =
                    std::array::from_fn(|i| words.get(layout.first_inner_word + i).copied().unwrap_or(0));
                assert_eq!(*entry, expected, "inner value {v}");
            }
        }
    }

    #[test]
    fn inner_tables_are_big_and_word_aligned_when_possible() {
        // 39 + 13 symbols end at byte 52: 5 symbols (3125 values) span words 11 and 12.
        let c = Content::from_bytes(&[b'x'; 39]);
        let layout = Layout::plan(&c, &Alphabet::whitespace(), 24, DEFAULT_MIN_SEGMENT_LOG2).unwrap();
        assert_eq!((layout.suffix_len, layout.data_end), (13, 52));
        assert_eq!((layout.inner_count(), layout.first_inner_word, layout.inner_word_count), (3125, 11, 2));
        // space-tab: 30 + 22 symbols; 12 symbols (4096 values) start on a word boundary at byte 40.
        let layout = Layout::plan(&Content::from_bytes(&[b'x'; 30]), &Alphabet::space_tab(), 16, 20).unwrap();
        assert_eq!(layout.data_end, 52);
        assert_eq!((layout.inner_count(), (layout.data_end - 12) % 4), (4096, 0));
    }

    #[test]
    fn fast_layouts_run_fewer_steps_with_a_longer_suffix() {
        let c = Content::from_bytes(&[b'x'; 1000]);
        let short = Layout::plan(&c, &Alphabet::whitespace(), 32, DEFAULT_MIN_SEGMENT_LOG2).unwrap();
        let fast = Layout::plan_fast(&c, &Alphabet::whitespace(), 32, DEFAULT_MIN_SEGMENT_LOG2).unwrap();
        assert!(fast.steps_per_candidate() < short.steps_per_candidate());
        assert!(fast.suffix_len > short.suffix_len && fast.suffix_len < short.suffix_len + 64);
        // Planning again from the fast length keeps it: a resumed search finds the same layout.
        assert_eq!(
            Layout::plan_from(&c, &Alphabet::whitespace(), fast.suffix_len, DEFAULT_MIN_SEGMENT_LOG2)
                .unwrap()
                .suffix_len,
            fast.suffix_len
        );
    }

    #[test]
    fn suffix_digits_are_most_significant_first() {
        let c = Content::from_bytes(b"");
        let layout = Layout::plan(&c, &Alphabet::whitespace(), 4, 8).unwrap();
        let s = layout.suffix(7); // 7 = 1*5 + 2
        assert_eq!(&s[s.len() - 2..], b"\t\n");
        assert!(s[..s.len() - 2].iter().all(|&b| b == b' '));
    }
}
