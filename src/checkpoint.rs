//! Resumable searches: how far a search got, saved atomically, and refused when it was made
//! for another input, prefix, alphabet, shard or layout.

use crate::device::work::Position;
use crate::shard::Shard;
use crate::small_file::SmallFileError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What a search is: a checkpoint is only ever reused for the same of each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchIdentity {
    /// What the prefix is a prefix of ([`crate::address::Address::key`]): checkpoints of
    /// versions before git's ids were all `md5`.
    #[serde(default = "crate::address::md5_key")]
    pub hashed_as: String,
    /// The input's digest by that hash (its MD5 in the field's old name), hex.
    pub input_md5: String,
    /// The input length in bytes.
    pub input_len: u64,
    /// The prefix, lower-case hex.
    pub prefix: String,
    /// The alphabet's name.
    pub alphabet: String,
    /// The shard, if the search is one.
    pub shard: Option<Shard>,
    /// Whether --fast-layout was given.
    pub fast_layout: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
/// A checkpoint file's content.
pub struct Checkpoint {
    /// The file format, to refuse files of another version.
    pub format: u32,
    #[serde(flatten)]
    /// Which search it belongs to.
    pub search: SearchIdentity,
    /// Every candidate below `next_index` for suffixes of `suffix_len` holds no hit.
    pub suffix_len: usize,
    /// A decimal string: JSON numbers lose precision past 2^53.
    pub next_index: String,
}

const FORMAT: u32 = 1;

/// A checkpoint file, for one search.
pub struct CheckpointFile {
    /// Where it is saved.
    pub path: PathBuf,
    identity: Checkpoint,
}

impl CheckpointFile {
    /// Describes the search; `load` then says whether a saved one matches it.
    pub fn new(path: &Path, search: SearchIdentity) -> Self {
        let identity = Checkpoint { format: FORMAT, search, suffix_len: 0, next_index: "0".into() };
        CheckpointFile { path: path.to_path_buf(), identity }
    }

    /// The saved position to resume from, None for a fresh start, an error for a checkpoint
    /// of another search.
    pub fn load(&self) -> anyhow::Result<Option<Position>> {
        // A checkpoint is a few hundred bytes of JSON: a 3 GiB file in its place is not one.
        let bytes = match crate::small_file::read(&self.path, 1 << 20) {
            Ok(b) => b,
            Err(SmallFileError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(crate::small_file::explain(e, "checkpoint", &self.path)),
        };
        // Bytes that are not UTF-8 get the same message as any other file that is not ours.
        let saved: Checkpoint = serde_json::from_slice(&bytes).map_err(|e| {
            anyhow::anyhow!(
                "checkpoint {} is not a ghostsum checkpoint ({e}); delete it or choose another file",
                self.path.display()
            )
        })?;
        let id = &self.identity;
        let (a, b) = (&saved.search, &id.search);
        // First: the input's digest differs too when the hash does, which would say "input".
        if a.hashed_as != b.hashed_as {
            anyhow::bail!(
                "checkpoint {} was saved by a search for a prefix of the {} (this one is of the {}); give the same --hash or --git-object to resume it, or delete it to start over",
                self.path.display(),
                a.hashed_as,
                b.hashed_as
            );
        }
        let differs = [
            (saved.format != id.format, "format"),
            (a.input_md5 != b.input_md5 || a.input_len != b.input_len, "input"),
            (a.prefix != b.prefix, "prefix"),
            (a.alphabet != b.alphabet, "alphabet"),
            (a.shard != b.shard, "shard"),
            (a.fast_layout != b.fast_layout, "layout (--fast-layout)"),
        ];
        if a.alphabet != b.alphabet && differs[..3].iter().all(|(d, _)| !d) {
            // The same search in every other way: most likely one started before the default
            // alphabet became the kind's (or with another --alphabet), and it can go on.
            anyhow::bail!(
                "checkpoint {} was saved by a search with --alphabet {} (this one uses {}); pass --alphabet {} to resume it, or delete it to start over",
                self.path.display(),
                a.alphabet,
                b.alphabet,
                a.alphabet
            );
        }
        if let Some((_, what)) = differs.iter().find(|(d, _)| *d) {
            anyhow::bail!(
                "checkpoint {} belongs to a search with a different {what}; delete it to start over, or choose another --checkpoint file",
                self.path.display()
            );
        }
        let next: u128 = saved
            .next_index
            .parse()
            .map_err(|_| anyhow::anyhow!("checkpoint {} is damaged (next_index)", self.path.display()))?;
        Ok(Some(Position { suffix_len: saved.suffix_len, next_index: next }))
    }

    /// Writes the position through a temporary file and a rename.
    pub fn save(&self, at: Position) -> anyhow::Result<()> {
        let state =
            Checkpoint { suffix_len: at.suffix_len, next_index: at.next_index.to_string(), ..self.identity.clone() };
        crate::output::write_file_atomically(&self.path, serde_json::to_string_pretty(&state)?.as_bytes())
            .map_err(|e| anyhow::anyhow!("cannot save checkpoint: {e:#}"))
    }

    /// Deletes it (a finished search).
    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let search = |md5: &str, prefix: &str, alphabet: &str, shard, fast_layout| SearchIdentity {
            hashed_as: "md5".into(),
            input_md5: md5.into(),
            input_len: 3,
            prefix: prefix.into(),
            alphabet: alphabet.into(),
            shard,
            fast_layout,
        };
        let cp = CheckpointFile::new(&path, search("ab", "c0ffee", "whitespace", None, false));
        assert_eq!(cp.load().unwrap(), None);
        let at = Position { suffix_len: 13, next_index: u128::MAX - 5 };
        cp.save(at).unwrap();
        assert_eq!(cp.load().unwrap(), Some(at));
        for other in [
            CheckpointFile::new(&path, search("cd", "c0ffee", "whitespace", None, false)),
            CheckpointFile::new(&path, search("ab", "c0ffe", "whitespace", None, false)),
            CheckpointFile::new(&path, search("ab", "c0ffee", "space-tab", None, false)),
            CheckpointFile::new(&path, search("ab", "c0ffee", "whitespace", Shard::new(0, 2), false)),
            CheckpointFile::new(&path, search("ab", "c0ffee", "whitespace", None, true)),
        ] {
            let refused = other.load().unwrap_err().to_string();
            assert!(
                refused.contains("different") || refused.contains("pass --alphabet whitespace to resume"),
                "{refused}"
            );
        }
        let sha1 =
            SearchIdentity { hashed_as: "git-blob-sha1".into(), ..search("ab", "c0ffee", "whitespace", None, false) };
        let refused = CheckpointFile::new(&path, sha1).load().unwrap_err().to_string();
        assert!(refused.contains("prefix of the md5 (this one is of the git-blob-sha1)"), "{refused}");
        // A checkpoint of a version before git's ids names no hash: it was MD5's.
        let old = std::fs::read_to_string(&path).unwrap().replace("\"hashed_as\": \"md5\",", "");
        assert!(!old.contains("hashed_as"));
        std::fs::write(&path, old).unwrap();
        assert_eq!(cp.load().unwrap(), Some(at));
        std::fs::write(&path, "garbage").unwrap();
        assert!(cp.load().is_err());
    }
}
