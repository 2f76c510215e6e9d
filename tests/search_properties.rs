//! The engine through the library API: outputs are the input plus alphabet symbols, and an
//! independent MD5 (the md-5 crate's one-shot digest) starts with the prefix.

use ghostsum::alphabet::Alphabet;
use ghostsum::cpu::CpuDevice;
use ghostsum::device::{Control, DeviceSet};
use ghostsum::engine::{search, EngineOptions, Found};
use ghostsum::input::Content;
use ghostsum::target::{hex, Prefix};
use md5::{Digest, Md5};
use proptest::prelude::*;

fn run(bytes: &[u8], prefix: &str, alphabet: &Alphabet, threads: usize) -> Found {
    let content = Content::from_bytes(bytes);
    let prefix = Prefix::parse(prefix).unwrap();
    let cpu = DeviceSet::new(vec![Box::new(CpuDevice::new(threads, None))]);
    let control = std::sync::Arc::new(Control::default());
    search(&cpu, &content, &prefix, alphabet, &EngineOptions::default(), &control, &mut |_| {})
        .unwrap()
        .expect("an unsharded search always finds a hit")
}

fn check(bytes: &[u8], prefix: &str, alphabet: &Alphabet, found: &Found) {
    assert!(alphabet.spells(&found.suffix), "suffix {:?} is not spelled in {alphabet}", found.suffix);
    assert_eq!(found.suffix.len(), found.suffix_len * alphabet.width());
    let mut output = bytes.to_vec();
    output.extend_from_slice(&found.suffix);
    let digest = hex(&Md5::digest(&output));
    assert!(digest.starts_with(prefix), "md5 {digest} of {} bytes does not start with {prefix}", output.len());
    assert_eq!(digest, found.digest_hex());
}

#[test]
fn every_length_mod_64_up_to_300() {
    let alphabets = [Alphabet::whitespace(), Alphabet::space_tab(), Alphabet::zero_width()];
    for len in 0..=300usize {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 131 + len) as u8).collect();
        let alphabet = &alphabets[len % 3];
        let prefix = format!("{:x}", (len * 2654435761) % 4096);
        let found = run(&bytes, &prefix, alphabet, 2);
        check(&bytes, &prefix, alphabet, &found);
    }
}

#[test]
fn lowest_index_is_the_answer() {
    // With a 1-digit prefix, brute force over the first indices finds the same answer.
    let bytes = b"the lowest matching index wins";
    let found = run(bytes, "e", &Alphabet::whitespace(), 2);
    for index in 0..found.index {
        let (layout_suffix_len, suffix) = (found.suffix_len, found.suffix.clone());
        let _ = layout_suffix_len;
        let content = Content::from_bytes(bytes);
        let layout = ghostsum::layout::Layout::plan(
            &content,
            &Alphabet::whitespace(),
            4,
            ghostsum::layout::DEFAULT_MIN_SEGMENT_LOG2,
        )
        .unwrap();
        assert_eq!(layout.suffix(found.index), suffix);
        let mut out = bytes.to_vec();
        out.extend(layout.suffix(index));
        assert!(
            !hex(&Md5::digest(&out)).starts_with('e'),
            "index {index} below the answer {} also matches",
            found.index
        );
    }
}

#[test]
fn same_output_for_any_thread_count() {
    for (i, prefix) in ["a", "b7", "c0f", "d00d"].iter().enumerate() {
        let bytes = vec![b'x'; 17 + 29 * i];
        let one = run(&bytes, prefix, &Alphabet::whitespace(), 1);
        let four = run(&bytes, prefix, &Alphabet::whitespace(), 4);
        assert_eq!((one.index, &one.suffix), (four.index, &four.suffix), "prefix {prefix}");
    }
}

#[test]
fn long_prefixes_check_every_state_word() {
    // 9+ digits constrain B too: kernels match on A alone, and the full check must both
    // accept the real hit and reject a candidate whose A matches but B does not.
    // Ends in a newline: the suffix of index 5 is a run of spaces and a tab, which after the
    // 34 columns of the text would pass column 79 (src/line_fit.rs) and be passed over.
    let bytes = b"twelve digits, found at index five\n";
    let content = Content::from_bytes(bytes);
    let alphabet = Alphabet::whitespace();
    let layout =
        ghostsum::layout::Layout::plan(&content, &alphabet, 48, ghostsum::layout::DEFAULT_MIN_SEGMENT_LOG2).unwrap();
    let mut out = bytes.to_vec();
    out.extend(layout.suffix(5));
    let digest = hex(&Md5::digest(&out));
    let found = run(bytes, &digest[..12], &alphabet, 2);
    assert_eq!(found.index, 5);
    check(bytes, &digest[..12], &alphabet, &found);

    let segment = layout.segment(content.midstate, &content.tail, 0);
    let wrong_ninth = format!("{}{:x}", &digest[..8], (u8::from_str_radix(&digest[8..9], 16).unwrap() + 1) % 16);
    for (prefix, expected) in [(&digest[..9], true), (&wrong_ninth[..], false), (&digest[..8], true)] {
        let prefix = Prefix::parse(prefix).unwrap();
        let job = ghostsum::device::work::Job {
            layout: &layout,
            segment: &segment,
            prefix: &prefix,
            accept: &ghostsum::device::work::Acceptance::any(),
        };
        assert_eq!(job.is_real_hit(0, 5), expected, "{prefix}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_content_and_prefix(bytes in proptest::collection::vec(any::<u8>(), 0..=300), prefix in "[0-9a-f]{1,4}", alphabet in 0usize..3) {
        let alphabet = [Alphabet::whitespace(), Alphabet::space_tab(), Alphabet::zero_width()][alphabet].clone();
        let found = run(&bytes, &prefix, &alphabet, 2);
        check(&bytes, &prefix, &alphabet, &found);
    }
}
