//! What a file's address is: the digest of its bytes (md5sum, sha1sum, sha256sum), or the id
//! git gives it as an object: the digest of `"<type> <length>\0"` followed by its bytes.
//!
//! The header holds the object's length, so it depends on the suffix's length: a search for a
//! git id settles the suffix length first ([`crate::engine::plan`]), and the header is
//! folded into the midstate before the file's first byte.

use crate::hash::{HashKind, Hasher};

/// A git object's type (`git cat-file -t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GitObject {
    /// A file's contents, as `git add` stores it and `git hash-object` names it.
    Blob,
    /// A commit (`git cat-file commit HEAD`).
    Commit,
    /// An annotated tag.
    Tag,
}

impl GitObject {
    /// The type's name in the object header.
    pub fn name(self) -> &'static str {
        match self {
            GitObject::Blob => "blob",
            GitObject::Commit => "commit",
            GitObject::Tag => "tag",
        }
    }
}

/// A git repository's object format (`git rev-parse --show-object-format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ObjectFormat {
    /// SHA-1 ids, 40 hex digits: git's default.
    #[default]
    Sha1,
    /// SHA-256 ids, 64 hex digits (`git init --object-format=sha256`).
    Sha256,
}

impl ObjectFormat {
    /// Its hash.
    pub fn hash(self) -> HashKind {
        match self {
            ObjectFormat::Sha1 => HashKind::Sha1,
            ObjectFormat::Sha256 => HashKind::Sha256,
        }
    }
}

/// [`Address::key`] of MD5: what reports and checkpoints of versions before git's ids, which
/// name no hash, were made with (their serde default).
pub fn md5_key() -> String {
    Address::MD5.key()
}

/// Whether `key` names md5sum's digest (the reports then repeat the digest under `md5`).
pub fn is_md5_key(key: &str) -> bool {
    key == md5_key()
}

/// The digest that names a file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Address {
    /// The hash.
    pub hash: HashKind,
    /// The git object the file is, if the address is git's id for it.
    pub git_object: Option<GitObject>,
}

impl Address {
    /// md5sum's digest, ghostsum's default.
    pub const MD5: Address = Address { hash: HashKind::Md5, git_object: None };

    /// The bytes hashed before an object of `object_len` bytes: git's header, or nothing.
    pub fn header(&self, object_len: u64) -> Vec<u8> {
        match self.git_object {
            Some(object) => format!("{} {object_len}\0", object.name()).into_bytes(),
            None => Vec::new(),
        }
    }

    /// RustCrypto's hasher, fed the header of an object of `object_len` bytes.
    pub fn hasher(&self, object_len: u64) -> Hasher {
        let mut hasher = Hasher::new(self.hash);
        hasher.update(&self.header(object_len));
        hasher
    }

    /// The address of `bytes`, by RustCrypto's crates (the independent re-check).
    pub fn of(&self, bytes: &[u8]) -> Vec<u8> {
        let mut hasher = self.hasher(bytes.len() as u64);
        hasher.update(bytes);
        hasher.finalize()
    }

    /// For scripts (the `hashed_as` of --json and batch reports): `md5`, `sha1`, `sha256`,
    /// or `git-blob-sha1`, `git-commit-sha256`...
    pub fn key(&self) -> String {
        match self.git_object {
            Some(object) => format!("git-{}-{}", object.name(), self.hash),
            None => self.hash.to_string(),
        }
    }

    /// In words: "MD5", "SHA-256", "git blob id (SHA-1)".
    pub fn describe(&self) -> String {
        match self.git_object {
            Some(object) => format!("git {} id ({})", object.name(), self.hash.title()),
            None => self.hash.title().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::hex;

    /// The facts, from git 2.47's `git hash-object`.
    #[test]
    fn git_blob_ids() {
        let sha1 = Address { hash: HashKind::Sha1, git_object: Some(GitObject::Blob) };
        assert_eq!(hex(&sha1.of(b"hello\n")), "ce013625030ba8dba906f756967f9e9ca394464a");
        let sha256 = Address { hash: HashKind::Sha256, git_object: Some(GitObject::Blob) };
        assert!(hex(&sha256.of(b"hello\n")).starts_with("2cf8d83d9ee2"));
        assert_eq!(hex(&Address::MD5.of(b"")), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!((Address::MD5.key(), sha256.key()), ("md5".to_string(), "git-blob-sha256".to_string()));
    }
}
