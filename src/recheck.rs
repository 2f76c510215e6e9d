//! Independent re-checks with the md-5 crate: nothing is reported or written unless the
//! crate's own MD5 of the exact output bytes starts with the prefix. (Other addresses: with
//! RustCrypto's sha1 and sha2, [`crate::input::Content::digest_with_suffix`].)

use md5::{Digest, Md5};

/// The md-5 crate's digest of a byte string.
pub fn md5_of(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

/// The md-5 crate's digest of the output for `suffix`: the content's head, the suffix, then
/// its trailer, from the hasher that has already consumed the head (so a 10 GB input is not
/// read twice).
pub fn md5_with_suffix(content: &crate::input::Content, suffix: &[u8]) -> [u8; 16] {
    debug_assert_eq!(content.address(), crate::address::Address::MD5);
    let mut h = content.hasher.clone();
    h.update(suffix);
    h.update(&content.trailer);
    h.finalize().try_into().expect("an MD5 digest is 16 bytes")
}
