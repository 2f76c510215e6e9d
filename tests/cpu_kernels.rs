//! Every CPU kernel this machine can run, against RustCrypto's own compression (md-5, sha1,
//! sha2) of each candidate's final block.

use ghostsum::address::Address;
use ghostsum::alphabet::Alphabet;
use ghostsum::cpu::kernel::{available_kernels, InnerColumns, KernelFn, KernelInput};
use ghostsum::hash::HashKind;
use ghostsum::input::Content;
use ghostsum::layout::Layout;
use ghostsum::target::Prefix;

/// All (mid, inner) whose first word the prefix fixes matches, by full compression.
fn reference_matches(
    layout: &Layout,
    content: &Content,
    prefix: &Prefix,
    mids: std::ops::Range<u32>,
) -> Vec<(u32, u32)> {
    let segment = layout.segment(content.midstate, &content.tail, 0);
    let mut out = Vec::new();
    for mid in mids {
        for inner in 0..layout.inner_count() {
            // The blocks as bytes, through the crates' own compression: independent of
            // ghostsum's steps.
            let mut state = segment.midstate;
            for words in layout.candidate_blocks(&segment, mid, inner) {
                let to_bytes = if layout.hash == HashKind::Md5 { u32::to_le } else { u32::to_be };
                let block: [u8; 64] = bytemuck::cast(words.map(to_bytes));
                match layout.hash {
                    HashKind::Md5 => md5::block_api::compress((&mut state[..4]).try_into().unwrap(), &[block]),
                    HashKind::Sha1 => sha1::block_api::compress((&mut state[..5]).try_into().unwrap(), &[block]),
                    HashKind::Sha256 => sha2::block_api::compress256(&mut state, &[block]),
                }
            }
            let word = prefix.word_masks.iter().position(|&m| m != 0).unwrap();
            if state[word] & prefix.word_masks[word] == prefix.word_values[word] {
                out.push((mid, inner));
            }
        }
    }
    out
}

#[test]
fn kernels_match_full_compression_for_every_layout_shape() {
    let prefix = Prefix::parse("a5").unwrap();
    let alphabets = [
        Alphabet::whitespace(),
        Alphabet::space_tab(),
        Alphabet::zero_width(),
        Alphabet::parse("bytes:c2a0,2020").unwrap(),
    ];
    let mut shapes_seen = std::collections::BTreeSet::new();
    for alphabet in &alphabets {
        // Big segments as searches use them, and small ones (a short suffix, so inner digits
        // early in the block).
        for (len, min_segment_log2) in (0..128).chain([1000]).flat_map(|len| [(len, 34), (len, 8)]) {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
            let content = Content::from_bytes(&bytes);
            let layout = Layout::plan(&content, alphabet, 24, min_segment_log2).unwrap();
            shapes_seen.insert((layout.first_inner_word, layout.inner_word_count));
            let mids = 0..(layout.mid_count().min(6) as u32);
            let expected = reference_matches(&layout, &content, &prefix, mids.clone());
            for_each_kernel(&layout, &content, &prefix, |name, kernel, input| {
                let (got, tested) = every_match(kernel, input, mids.clone());
                assert_eq!(got, expected, "kernel {name}, alphabet {alphabet}, content {len} bytes");
                assert_eq!(tested, mids.len() as u64 * layout.inner_count() as u64);
            });
        }
    }
    // Each (first inner word, inner word count) is its own compiled kernel: the loop above
    // must have reached most of them, from the first words of the block to the last.
    let firsts: std::collections::BTreeSet<_> = shapes_seen.iter().map(|s| s.0).collect();
    assert!((0..=12).all(|w| firsts.contains(&w)), "{shapes_seen:?}");
    assert!((1..=4).all(|c| shapes_seen.iter().any(|s| s.1 == c)), "{shapes_seen:?}");
}

/// MD5 with the prefix's first digits in B, C or D (eight `_` per word before them): the
/// kernels run the last three steps then and test that word, for layouts whose inner words
/// start anywhere in the block.
#[test]
fn md5_kernels_test_the_first_word_the_prefix_fixes() {
    for word in 1..4 {
        let prefix = Prefix::parse(&("_".repeat(8 * word) + "a5")).unwrap();
        assert_eq!(prefix.first_fixed_word(), word);
        let mut firsts = std::collections::BTreeSet::new();
        for len in (0..64).step_by(3) {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 17 + word) as u8).collect();
            let content = Content::from_bytes(&bytes);
            let layout = Layout::plan(&content, &Alphabet::whitespace(), 24, 8).unwrap();
            firsts.insert(layout.first_inner_word);
            let mids = 0..(layout.mid_count().min(3) as u32);
            let expected = reference_matches(&layout, &content, &prefix, mids.clone());
            assert!(!expected.is_empty() || layout.mid_count() < 3, "word {word}, {len} bytes: no match to check");
            for_each_kernel(&layout, &content, &prefix, |name, kernel, input| {
                let (got, _) = every_match(kernel, input, mids.clone());
                assert_eq!(got, expected, "kernel {name}, word {word}, content {len} bytes");
            });
        }
        assert!(firsts.len() >= 8, "word {word}: {firsts:?}");
    }
}

/// SHA-1 and SHA-256, of the bytes and as git's blob ids, at every first inner word (four
/// kernel versions each), with the prefix in the first state word and, after `_`, in the
/// second.
#[test]
fn sha_kernels_match_full_compression_for_every_layout_shape() {
    for hash in [HashKind::Sha1, HashKind::Sha256] {
        for (digits, git_object) in [("a5", None), ("________a", Some(ghostsum::address::GitObject::Blob))] {
            let prefix = Prefix::parse_for(digits, hash).unwrap();
            let mut firsts = std::collections::BTreeSet::new();
            for len in 0..128 {
                let bytes: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
                let mut content = Content::from_bytes(&bytes);
                content.set_address(Address { hash, git_object });
                let options = ghostsum::engine::EngineOptions { min_segment_log2: 8, ..Default::default() };
                // Radix 5, 2 and 3: SHA-1's per-search schedule table is built a digit at a time.
                let alphabet =
                    [Alphabet::whitespace(), Alphabet::space_tab(), Alphabet::space_tab_lf()][len % 3].clone();
                ghostsum::engine::fold_address(&mut content, &prefix, &alphabet, &options).unwrap();
                let layout = ghostsum::engine::plan(&content, &prefix, &alphabet, &options).unwrap();
                firsts.insert(layout.first_inner_word);
                let mids = 0..(layout.mid_count().min(3) as u32);
                let expected = reference_matches(&layout, &content, &prefix, mids.clone());
                for_each_kernel(&layout, &content, &prefix, |name, kernel, input| {
                    let (got, _) = every_match(kernel, input, mids.clone());
                    assert_eq!(got, expected, "{hash} kernel {name}, prefix {digits}, content {len} bytes");
                });
            }
            assert!((0..=12).all(|w| firsts.contains(&w)), "{hash}: {firsts:?}");
        }
    }
}

/// SHA's split layout (`--fast-layout`): the lanes over mid values, each with its own block
/// before the final one, against the crates' compression of both blocks; for the bytes and
/// git's ids, with the prefix in the first state word or a later one, over more than one
/// lane group of mid values.
#[test]
fn split_sha_kernels_match_full_compression() {
    for hash in [HashKind::Sha1, HashKind::Sha256] {
        let mut split = 0;
        for len in (0..400).step_by(9) {
            let word = len % hash.state_words();
            let git_object = [None, Some(ghostsum::address::GitObject::Blob)][len % 2];
            let prefix = Prefix::parse_for(&("_".repeat(8 * word) + "a5"), hash).unwrap();
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
            let mut content = Content::from_bytes(&bytes);
            content.set_address(Address { hash, git_object });
            let options =
                ghostsum::engine::EngineOptions { min_segment_log2: 8, fast_layout: true, ..Default::default() };
            let alphabet = [Alphabet::whitespace(), Alphabet::space_tab(), Alphabet::space_tab_lf()][len % 3].clone();
            ghostsum::engine::fold_address(&mut content, &prefix, &alphabet, &options).unwrap();
            let layout = ghostsum::engine::plan(&content, &prefix, &alphabet, &options).unwrap();
            if !layout.is_split() {
                continue;
            }
            split += 1;
            let mids = 0..(layout.mid_count().min(if split == 1 { 70 } else { 9 }) as u32);
            let expected = reference_matches(&layout, &content, &prefix, mids.clone());
            assert!(!expected.is_empty(), "{hash}, {len} bytes: no match to check");
            for_each_kernel(&layout, &content, &prefix, |name, kernel, input| {
                let (got, tested) = every_match(kernel, input, mids.clone());
                assert_eq!(got, expected, "{hash} kernel {name}, word {word}, content {len} bytes, {alphabet}");
                assert_eq!(tested, mids.len() as u64 * layout.inner_count() as u64);
            });
        }
        assert!(split >= 20, "{hash}: only {split} split layouts");
    }
}

/// Every candidate `kernel` reports for `mids` (none taken as real, so it runs them all), in
/// the order it reports them, and its count of candidates tested.
fn every_match(kernel: KernelFn, input: &KernelInput, mids: std::ops::Range<u32>) -> (Vec<(u32, u32)>, u64) {
    let mut got = Vec::new();
    let tested = kernel(input, mids, &mut |mid, inner| {
        got.push((mid, inner));
        false
    });
    (got, tested)
}

/// Runs `check` on every kernel this CPU has, set up for segment 0 of `layout`.
fn for_each_kernel(
    layout: &Layout,
    content: &Content,
    prefix: &Prefix,
    mut check: impl FnMut(&str, KernelFn, &KernelInput),
) {
    let segment = layout.segment(content.midstate, &content.tail, 0);
    let columns = InnerColumns::new(layout);
    let job = ghostsum::device::work::Job {
        layout,
        segment: &segment,
        prefix,
        accept: &ghostsum::device::work::Acceptance::any(),
    };
    let input = KernelInput::new(&job, &columns);
    for (name, kernel) in available_kernels(layout) {
        check(name.name(), kernel, &input);
    }
}

#[test]
fn a_real_hit_stops_the_kernel_at_the_lowest_candidate() {
    // Every hash: SHA-1's kernel visits candidates inner value by inner value across mid
    // values, so its matches must still come in index order, and its count of candidates
    // tested end at the hit.
    // And SHA's split layouts (`--fast-layout`), whose kernels run their lanes over mid values.
    let cases = [(HashKind::Md5, false), (HashKind::Sha1, false), (HashKind::Sha256, false)];
    for (hash, fast) in cases.into_iter().chain([(HashKind::Sha1, true), (HashKind::Sha256, true)]) {
        let mut content = Content::from_bytes(b"hello world\n");
        content.set_address(Address { hash, git_object: None });
        content.fold_for_suffix(0).unwrap();
        let plan = if fast { Layout::plan_fast } else { Layout::plan };
        let layout = plan(&content, &Alphabet::whitespace(), 24, 34).unwrap();
        assert_eq!(layout.is_split(), fast, "{hash}");
        let prefix = Prefix::parse_for("7", hash).unwrap();
        let mids = 0..3;
        let expected = reference_matches(&layout, &content, &prefix, mids.clone());
        let (mid, inner) = expected[2];
        for_each_kernel(&layout, &content, &prefix, |name, kernel, input| {
            let mut got = Vec::new();
            let tested = kernel(input, mids.clone(), &mut |mid, inner| {
                got.push((mid, inner));
                got.len() == 3
            });
            assert_eq!(got, expected[..3], "{hash} {name} fast {fast}");
            assert_eq!(
                tested,
                mid as u64 * layout.inner_count() as u64 + inner as u64 + 1,
                "{hash} {name} fast {fast}"
            );
        });
    }
}
