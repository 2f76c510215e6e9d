//! Independent re-checks with the md-5 crate: nothing is reported or written unless the
//! crate's own MD5 of the exact output bytes starts with the prefix.

use md5::{Digest, Md5};
use std::io::Read;

/// The md-5 crate's digest of a byte string.
pub fn md5_of(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

/// The md-5 crate's digest of everything a reader yields, streamed.
pub fn md5_of_reader(mut reader: impl Read) -> std::io::Result<[u8; 16]> {
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok(hasher.finalize().into());
        }
        hasher.update(&buf[..n]);
    }
}

/// The md-5 crate's digest of content followed by a suffix, given the hasher that has
/// already consumed the content (so a 10 GB input is not read twice).
pub fn md5_with_suffix(content_hasher: &Md5, suffix: &[u8]) -> [u8; 16] {
    let mut h = content_hasher.clone();
    h.update(suffix);
    h.finalize().into()
}
