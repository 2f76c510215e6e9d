//! Independent re-checks with the md-5 crate: nothing is reported or written unless the
//! crate's own MD5 of the exact output bytes starts with the prefix.

use md5::{Digest, Md5};

/// The md-5 crate's digest of a byte string.
pub fn md5_of(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

/// The md-5 crate's digest of content followed by a suffix, given the hasher that has
/// already consumed the content (so a 10 GB input is not read twice).
pub fn md5_with_suffix(content_hasher: &Md5, suffix: &[u8]) -> [u8; 16] {
    let mut h = content_hasher.clone();
    h.update(suffix);
    h.finalize().into()
}
