//! The batch manifest: pages, their prefixes and the address template, checked with errors
//! that name the file and line.

use crate::address::{Address, GitObject, ObjectFormat};
use crate::alphabet::Alphabet;
use crate::kind::{ChosenKind, FileKind};
use crate::target::Prefix;
use clap::ValueEnum;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    url: Spanned<String>,
    #[serde(default = "default_digits")]
    digits: Spanned<usize>,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    alphabet: Option<Spanned<String>>,
    /// Pages are addressed by git's id for them as this object (blob), not their MD5.
    #[serde(default)]
    git_object: Option<Spanned<String>>,
    /// With git_object: sha1 (git's default) or sha256.
    #[serde(default)]
    object_format: Option<Spanned<String>>,
    #[serde(default)]
    page: Vec<RawPage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPage {
    name: Spanned<String>,
    file: Spanned<String>,
    #[serde(default)]
    prefix: Option<Spanned<String>>,
    #[serde(default)]
    alphabet: Option<Spanned<String>>,
    #[serde(default, rename = "for")]
    for_kind: Option<Spanned<String>>,
    /// This page's git object type, or "none" for its MD5, over the manifest's `git_object`.
    #[serde(default)]
    git_object: Option<Spanned<String>>,
}

fn default_digits() -> Spanned<usize> {
    Spanned::new(0..0, 6)
}

/// A checked manifest, every page with its prefix.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// The manifest file.
    pub path: PathBuf,
    /// The address template, with `{prefix}`.
    pub url: String,
    /// The alphabet the manifest names for every page, if any.
    pub alphabet: Option<Alphabet>,
    /// Every page, in manifest order.
    pub pages: Vec<Page>,
    /// Each page's index in `pages` by name, for placeholders: built once, since every page
    /// of a site may link to any other.
    by_name: HashMap<String, usize>,
}

#[derive(Clone, Debug)]
/// One page of a manifest.
pub struct Page {
    /// Its name, for placeholders.
    pub name: String,
    /// As written in the manifest: the output keeps this relative path under --out-dir.
    pub file: PathBuf,
    /// Where it is read from.
    pub source: PathBuf,
    /// Its prefix: given, or assigned from the seed.
    pub prefix: Prefix,
    /// Whether the prefix was assigned (not written in the manifest).
    pub assigned: bool,
    /// The alphabet the page names, if any.
    pub alphabet: Option<Alphabet>,
    /// Its kind: `for` in the manifest, else its file's extension, else text.
    pub kind: ChosenKind,
    /// What its prefix is a prefix of: its MD5, or git's id for it (`git_object`).
    pub hashed_as: Address,
}

/// The most a manifest may hold: it lists pages (about 60 bytes each), not their text; 100,000
/// pages take about 6 MiB.
const MAX_MANIFEST_BYTES: u64 = 64 << 20;

impl Manifest {
    /// Reads and checks a manifest file.
    pub fn load(path: &Path) -> anyhow::Result<Manifest> {
        let bytes = crate::small_file::read(path, MAX_MANIFEST_BYTES)
            .map_err(|e| crate::small_file::explain(e, "manifest", path))?;
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            let line = line_of(&bytes, e.valid_up_to());
            anyhow::anyhow!("{}:{line}: the manifest is not valid UTF-8 (TOML must be)", path.display())
        })?;
        Self::parse(path, text)
    }

    /// Checks a manifest's text; `path` locates its pages and names it in errors.
    pub fn parse(path: &Path, text: &str) -> anyhow::Result<Manifest> {
        let at = |span: std::ops::Range<usize>| format!("{}:{}", path.display(), line_of(text.as_bytes(), span.start));
        let raw: RawManifest = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text.as_bytes(), s.start)).unwrap_or(1);
            anyhow::anyhow!("{}:{line}: {}", path.display(), e.message())
        })?;
        if !raw.url.get_ref().contains("{prefix}") {
            anyhow::bail!("{}: url must contain {{prefix}}, where each page's prefix goes", at(raw.url.span()));
        }
        let (default_object, format) = git_object_and_format(&raw, &at)?;
        let page_address = |page: &RawPage| -> anyhow::Result<Address> {
            let object = match &page.git_object {
                None => default_object,
                Some(spec) if spec.get_ref() == "none" => None,
                Some(spec) => Some(git_object(spec, &at)?),
            };
            Ok(match object {
                Some(object) => Address { hash: format.hash(), git_object: Some(object) },
                None => Address::MD5,
            })
        };
        let addresses: Vec<Address> = raw.page.iter().map(page_address).collect::<anyhow::Result<_>>()?;
        // Assigned prefixes fit every page's digest: 32 digits for MD5, 40 or 64 for git's ids.
        let most_digits = addresses.iter().map(|a| a.hash.hex_digits()).min().unwrap_or(32);
        let digits = *raw.digits.get_ref();
        if !(1..=most_digits).contains(&digits) {
            anyhow::bail!("{}: digits must be 1 to {most_digits}", at(raw.digits.span()));
        }
        if raw.page.is_empty() {
            anyhow::bail!("{}: no [[page]] entries", path.display());
        }
        let base = crate::file_id::parent_dir(path);
        let mut names = BTreeSet::new();
        let mut taken: BTreeMap<String, String> = BTreeMap::new();
        // Each page's prefix as written, parsed once (" ABC " is abc).
        let mut given: Vec<Option<Prefix>> = Vec::new();
        for (page, address) in raw.page.iter().zip(&addresses) {
            let hash = address.hash;
            let name = page.name.get_ref();
            if name.is_empty() || name.contains(['{', '}', ':']) {
                anyhow::bail!(
                    "{}: page name '{name}' must be non-empty and free of {{, }} and :",
                    at(page.name.span())
                );
            }
            // Placeholders trim their names ({{url: a }} names "a"), so a name with blanks
            // around it could never be linked to.
            if name.trim() != name {
                anyhow::bail!(
                    "{}: page name '{name}' has blanks around it, which a placeholder cannot name (it trims); write '{}'",
                    at(page.name.span()),
                    name.trim()
                );
            }
            if !names.insert(name.clone()) {
                anyhow::bail!("{}: a second page named '{name}'", at(page.name.span()));
            }
            let file = page.file.get_ref();
            let path = base.join(file);
            let not_a_file = match std::fs::metadata(&path) {
                Ok(meta) if meta.is_file() => None,
                Ok(meta) if meta.is_dir() => Some("is a folder; give a file".to_string()),
                Ok(_) => Some("is not a regular file; give a file".to_string()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some("does not exist".to_string()),
                Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
                    Some("goes through a file as if it were a folder; drop the trailing / or fix the path".to_string())
                }
                Err(e) => Some(format!("cannot be read: {}", crate::io_error::reason(&e))),
            };
            if let Some(what) = not_a_file {
                anyhow::bail!("{}: page '{name}': file {} {what}", at(page.file.span()), path.display());
            }
            if Path::new(file).is_absolute()
                || Path::new(file).components().any(|c| c == std::path::Component::ParentDir)
            {
                anyhow::bail!(
                    "{}: page '{name}': file must be a relative path inside the manifest's folder",
                    at(page.file.span())
                );
            }
            // Pages must stay inside the manifest's folder, through symlinks too.
            let inside = crate::file_id::lies_within(&path, base).map_err(|e| {
                anyhow::anyhow!("{}: page '{name}': {}", at(page.file.span()), crate::io_error::reason(&e))
            })?;
            if !inside {
                // Absolute where it can be made so (a deep folder cannot).
                let target = std::fs::canonicalize(&path)
                    .or_else(|_| crate::file_id::follow_links(&path))
                    .unwrap_or(path.clone());
                anyhow::bail!(
                    "{}: page '{name}': {file} leads outside the manifest's folder (to {}) through a symlink; copy the file in instead",
                    at(page.file.span()),
                    target.display()
                );
            }
            let parsed = match &page.prefix {
                Some(prefix) => {
                    let checked = Prefix::parse_for(prefix.get_ref(), hash)
                        .map_err(|e| anyhow::anyhow!("{}: page '{name}': {e}", at(prefix.span())))?;
                    if let Some(other) = taken.insert(checked.hex().to_string(), name.clone()) {
                        anyhow::bail!("{}: page '{name}' has the same prefix as page '{other}'", at(prefix.span()));
                    }
                    Some(checked)
                }
                None => None,
            };
            given.push(parsed);
        }
        let unassigned = raw.page.iter().filter(|p| p.prefix.is_none()).count() as u128;
        let free = free_prefixes(digits, &taken);
        if unassigned > free {
            anyhow::bail!(
                "{}: {unassigned} pages need a {digits}-digit prefix, but only {free} are free; raise digits or give prefixes",
                at(raw.digits.span())
            );
        }
        let alphabet_at = |spec: &Spanned<String>| {
            Alphabet::parse(spec.get_ref()).map_err(|e| anyhow::anyhow!("{}: {e}", at(spec.span())))
        };
        let alphabet = raw.alphabet.as_ref().map(alphabet_at).transpose()?;
        let mut rng = SplitMix64(raw.seed);
        let mut pages = Vec::new();
        for ((page, given), &hashed_as) in raw.page.iter().zip(given).zip(&addresses) {
            let page_alphabet = page.alphabet.as_ref().map(alphabet_at).transpose()?;
            let for_kind = match &page.for_kind {
                Some(spec) => Some(FileKind::from_str(spec.get_ref(), true).map_err(|_| {
                    let kinds: Vec<&str> = FileKind::ALL.iter().map(|k| k.name()).collect();
                    anyhow::anyhow!(
                        "{}: page '{}': unknown kind '{}' for `for`: use one of {}",
                        at(spec.span()),
                        page.name.get_ref(),
                        spec.get_ref(),
                        kinds.join(", ")
                    )
                })?),
                None => None,
            };
            let kind = ChosenKind::decide(for_kind, &[Path::new(page.file.get_ref())]);
            pages.push({
                let (prefix, assigned) = match given {
                    Some(prefix) => (prefix, false),
                    None => loop {
                        let candidate = rng.hex_digits(digits);
                        if !taken.contains_key(&candidate) {
                            taken.insert(candidate.clone(), page.name.get_ref().clone());
                            break (Prefix::parse_for(&candidate, hashed_as.hash)?, true);
                        }
                    },
                };
                Page {
                    name: page.name.get_ref().clone(),
                    file: PathBuf::from(page.file.get_ref()),
                    source: base.join(page.file.get_ref()),
                    prefix,
                    assigned,
                    alphabet: page_alphabet,
                    kind,
                    hashed_as,
                }
            });
        }
        let by_name = pages.iter().enumerate().map(|(n, page)| (page.name.clone(), n)).collect();
        Ok(Manifest { path: path.to_path_buf(), url: raw.url.into_inner(), alphabet, pages, by_name })
    }

    /// The page a placeholder names.
    pub fn page_named(&self, name: &str) -> Option<&Page> {
        self.by_name.get(name).map(|&n| &self.pages[n])
    }

    /// A page's address: the url template with its prefix.
    pub fn address(&self, page: &Page) -> String {
        // The prefix as parsed (" ABC " is abc), so the address holds what is searched.
        self.url.replace("{prefix}", page.prefix.hex())
    }
}

/// The manifest's `git_object` (every page's, unless a page says otherwise) and its
/// `object_format` (the repository's, for every page addressed by a git id).
fn git_object_and_format(
    raw: &RawManifest,
    at: &dyn Fn(std::ops::Range<usize>) -> String,
) -> anyhow::Result<(Option<GitObject>, ObjectFormat)> {
    let object = raw.git_object.as_ref().map(|spec| git_object(spec, at)).transpose()?;
    let any_git =
        object.is_some() || raw.page.iter().any(|p| p.git_object.as_ref().is_some_and(|s| s.get_ref() != "none"));
    let format = match &raw.object_format {
        None => ObjectFormat::default(),
        Some(spec) if !any_git => {
            anyhow::bail!(
                "{}: object_format needs git_object = \"blob\" (for the manifest or a page); without it pages are addressed by their MD5",
                at(spec.span())
            )
        }
        Some(spec) => ObjectFormat::from_str(spec.get_ref(), false).map_err(|_| {
            anyhow::anyhow!(
                "{}: object_format '{}' is not sha1 or sha256 (git rev-parse --show-object-format tells)",
                at(spec.span()),
                spec.get_ref()
            )
        })?,
    };
    Ok((object, format))
}

/// A `git_object` value: blob, commit or tag.
fn git_object(spec: &Spanned<String>, at: &dyn Fn(std::ops::Range<usize>) -> String) -> anyhow::Result<GitObject> {
    GitObject::from_str(spec.get_ref(), false).map_err(|_| {
        anyhow::anyhow!(
            "{}: git_object '{}' is not one of blob, commit, tag, or none for a page's MD5 (pages are blobs)",
            at(spec.span()),
            spec.get_ref()
        )
    })
}

/// 1-based line of a byte offset.
pub fn line_of(text: &[u8], offset: usize) -> usize {
    text[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// How many prefixes of `digits` hex digits no page has taken yet (saturating at u128::MAX).
fn free_prefixes(digits: usize, taken: &BTreeMap<String, String>) -> u128 {
    let all = 16u128.checked_pow(digits as u32).unwrap_or(u128::MAX);
    all - taken.keys().filter(|p| p.len() == digits).count() as u128
}

/// A small reproducible generator for assigned prefixes: the same seed gives the same pages.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn hex_digits(&mut self, n: usize) -> String {
        let mut s = String::new();
        while s.len() < n {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(n);
        s
    }
}
