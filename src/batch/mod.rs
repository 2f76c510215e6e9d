//! Linked documents: every page's prefix is chosen first, placeholders become addresses,
//! then each page's suffix is searched. Since no address depends on a search result, links
//! may form any graph, cycles and self-links included.

pub mod manifest;

use crate::alphabet::Alphabet;
use crate::target::Prefix;
use manifest::{line_of, Manifest, Page};
use std::collections::BTreeMap;
use std::path::Path;

/// The page text with `{{url:NAME}}` and `{{prefix:NAME}}` replaced.
pub fn resolve_placeholders(manifest: &Manifest, page: &Page, text: &[u8]) -> anyhow::Result<Vec<u8>> {
    let by_name: BTreeMap<&str, &Page> = manifest.pages.iter().map(|p| (p.name.as_str(), p)).collect();
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    let mut consumed = 0usize;
    while let Some(start) = find(rest, b"{{") {
        out.extend_from_slice(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = find(after, b"}}") else {
            out.extend_from_slice(&rest[start..]);
            return Ok(out);
        };
        let inner = String::from_utf8_lossy(&after[..end]);
        let placeholder = inner.split_once(':').filter(|(kind, _)| *kind == "url" || *kind == "prefix");
        let Some((kind, name)) = placeholder else {
            // Not ours ({{ in the text itself): kept, and the search goes on from its second
            // brace, so that "{{{url:a}}" still finds the placeholder inside.
            out.push(b'{');
            consumed += start + 1;
            rest = &rest[start + 1..];
            continue;
        };
        let target = by_name.get(name.trim()).ok_or_else(|| {
            let line = line_of(text, consumed + start);
            anyhow::anyhow!(
                "{}:{line}: {{{{{kind}:{name}}}}} names no page in {}",
                page.source.display(),
                manifest.path.display()
            )
        })?;
        let value = if kind == "url" { manifest.address(target) } else { target.prefix.clone() };
        out.extend_from_slice(value.as_bytes());
        consumed += start + 2 + end + 2;
        rest = &after[end + 2..];
    }
    out.extend_from_slice(rest);
    Ok(out)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A page finished by an earlier run: its output's digest and suffix length.
pub struct FinishedPage {
    /// The digest of the existing output.
    pub md5: [u8; 16],
    /// Its suffix length in symbols.
    pub suffix_len: usize,
}

/// Does an existing output already hold this page, finished? (Then a re-run skips it.)
pub fn already_done(output: &Path, resolved: &[u8], prefix: &Prefix, alphabet: &Alphabet) -> Option<FinishedPage> {
    let existing = std::fs::read(output).ok()?;
    let suffix = existing.strip_prefix(resolved)?;
    let md5 = crate::recheck::md5_of(&existing);
    (alphabet.spells(suffix) && prefix.matches_digest(&md5))
        .then(|| FinishedPage { md5, suffix_len: suffix.len() / alphabet.width() })
}
