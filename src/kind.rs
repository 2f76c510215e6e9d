//! Kinds of file, and which suffix symbols stay invisible in each: the alphabet a file gets by
//! default is the one the viewer matrix (tests/viewers/matrix.py) measured as invisible in
//! every viewer that applies to its kind. The matrix test fails when this table and the
//! measurement disagree.

use crate::alphabet::Alphabet;
use std::fmt;
use std::path::Path;

/// What a file is, as far as its readers are concerned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// Plain text: read in terminals, editors and a browser's raw view.
    #[default]
    Text,
    /// Markdown: read as source and as rendered HTML.
    Markdown,
    /// HTML: read as source and as a rendered page.
    Html,
    /// A shell script: read as source, and run.
    Shell,
    /// A Python program: read as source, and parsed.
    Python,
    /// JSON: read as source, and parsed.
    Json,
    /// TOML: read as source, and parsed.
    Toml,
    /// YAML: read as source, and parsed.
    Yaml,
    /// Comma-separated values: a line is a record, so blanks at a line's end are a field's.
    Csv,
    /// Tab-separated values, read as CSV is.
    Tsv,
    /// JSON Lines (NDJSON): a JSON value per line, and a blank line is an error.
    Jsonl,
}

impl FileKind {
    /// Every kind, in `--help` order.
    pub const ALL: [FileKind; 11] = [
        FileKind::Text,
        FileKind::Markdown,
        FileKind::Html,
        FileKind::Shell,
        FileKind::Python,
        FileKind::Json,
        FileKind::Toml,
        FileKind::Yaml,
        FileKind::Csv,
        FileKind::Tsv,
        FileKind::Jsonl,
    ];

    /// Kinds where a line is a record: the viewer matrix's suffix after the end is a record
    /// or a field there, so their suffix is placed and proven by their reader alone.
    pub fn is_line_records(self) -> bool {
        matches!(self, FileKind::Csv | FileKind::Tsv | FileKind::Jsonl)
    }

    /// Its name, as `--for` takes it.
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Text => "text",
            FileKind::Markdown => "markdown",
            FileKind::Html => "html",
            FileKind::Shell => "shell",
            FileKind::Python => "python",
            FileKind::Json => "json",
            FileKind::Toml => "toml",
            FileKind::Yaml => "yaml",
            FileKind::Csv => "csv",
            FileKind::Tsv => "tsv",
            FileKind::Jsonl => "jsonl",
        }
    }

    /// The file name extensions that mean this kind (lower case, without the dot).
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FileKind::Text => &["txt", "text", "log", "asc"],
            FileKind::Markdown => &["md", "markdown", "mdown", "mkd"],
            FileKind::Html => &["html", "htm", "xhtml"],
            FileKind::Shell => &["sh", "bash", "zsh", "ksh"],
            FileKind::Python => &["py", "pyw"],
            FileKind::Json => &["json", "geojson"],
            FileKind::Toml => &["toml"],
            FileKind::Yaml => &["yaml", "yml"],
            FileKind::Csv => &["csv"],
            FileKind::Tsv => &["tsv", "tab"],
            FileKind::Jsonl => &["jsonl", "ndjson"],
        }
    }

    /// The kind a file name's extension names, if any.
    pub fn from_path(path: &Path) -> Option<FileKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        FileKind::ALL.into_iter().find(|kind| kind.extensions().contains(&ext.as_str()))
    }

    /// The alphabet a file of this kind gets when none is named: the largest set of symbols
    /// the viewer matrix measured as invisible in every viewer of this kind.
    pub fn default_alphabet(self) -> Alphabet {
        match self {
            FileKind::Yaml => Alphabet::space_lf(),
            // A new line would be a record; trailing blanks are all a line can take.
            FileKind::Csv | FileKind::Tsv | FileKind::Jsonl => Alphabet::space_tab(),
            _ => Alphabet::space_tab_lf(),
        }
    }

    /// Why that alphabet, in a sentence: what the left-out symbols do (measured).
    pub fn why(self) -> &'static str {
        match self {
            FileKind::Yaml => {
                "space and LF (on lines of their own after the last line): a tab that starts a line is a YAML syntax error (PyYAML); VT and FF \
                 show as ^K/^L in less, vim and nano; zero-width characters show as <200b>... in vim"
            }
            FileKind::Csv | FileKind::Tsv | FileKind::Jsonl => {
                "space and tab: a line is a record, so an LF would add one; placed only where the \
                 file's reader reads the same (a field's end is its value: CSV and TSV are refused)"
            }
            _ => {
                "space, tab and LF (on lines of their own after the last line, which stays as it was): VT and FF show as ^K/^L in less, vim and nano; zero-width \
                 characters show as <200b>... in vim"
            }
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a file's kind was decided, for messages and `--json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KindSource {
    /// `--for` named it.
    Option,
    /// The file name's extension (e.g. `.py`).
    Extension(String),
    /// Nothing said: plain text.
    Default,
}

/// A file's kind and how it was decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChosenKind {
    /// The kind.
    pub kind: FileKind,
    /// Where it came from.
    pub source: KindSource,
}

impl ChosenKind {
    /// `--for` if given, else the first of `paths` whose extension names a kind, else text.
    pub fn decide(option: Option<FileKind>, paths: &[&Path]) -> ChosenKind {
        if let Some(kind) = option {
            return ChosenKind { kind, source: KindSource::Option };
        }
        for path in paths {
            if let Some(kind) = FileKind::from_path(path) {
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
                return ChosenKind { kind, source: KindSource::Extension(format!(".{ext}")) };
            }
        }
        ChosenKind { kind: FileKind::Text, source: KindSource::Default }
    }

    /// How it was decided, in words: "--for", "extension .py", "no known extension".
    pub fn source_text(&self) -> String {
        match &self.source {
            KindSource::Option => "--for".into(),
            KindSource::Extension(ext) => format!("extension {ext}"),
            KindSource::Default => "no known extension".into(),
        }
    }
}

/// What a person sees of one suffix symbol in a file of `kind`: `None` when the matrix
/// measured it invisible in every viewer of that kind, else which viewer shows it and how.
pub fn shows(kind: FileKind, symbol: &[u8]) -> Option<&'static str> {
    match symbol {
        b" " | b"\n" => None,
        // A CRLF file's own line break (its suffix's); in a file of LF lines, verify
        // --original names it (src/changes.rs).
        b"\r\n" => None,
        b"\t" if kind == FileKind::Yaml => Some("a tab that starts a line is a YAML syntax error (PyYAML)"),
        b"\t" => None,
        b"\x0b" => Some("VT shows as ^K in less, vim and nano, and makes Chromium download the file as binary"),
        b"\x0c" => Some("FF shows as ^L in less, vim and nano"),
        b"\r" => Some("CR is removed by line-ending conversion (never in a named alphabet)"),
        b"\xe2\x80\x8b" => Some("U+200B shows as <200b> in vim"),
        b"\xe2\x80\x8c" => Some("U+200C shows as <200c> in vim"),
        b"\xe2\x80\x8d" => Some("U+200D shows as <200d> in vim"),
        b"\xe2\x81\xa0" => Some("U+2060 shows as <2060> in vim"),
        _ => Some("not a symbol the viewer matrix measured: check it with tests/viewers/matrix.py"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_extensions() {
        assert_eq!(FileKind::from_path(Path::new("a/b/README.MD")), Some(FileKind::Markdown));
        assert_eq!(FileKind::from_path(Path::new("x.py")), Some(FileKind::Python));
        assert_eq!(FileKind::from_path(Path::new("x")), None);
        assert_eq!(FileKind::from_path(Path::new("x.tar.gz")), None);
        let chosen = ChosenKind::decide(None, &[Path::new("-"), Path::new("out.yml")]);
        assert_eq!((chosen.kind, chosen.source_text().as_str()), (FileKind::Yaml, "extension .yml"));
        let chosen = ChosenKind::decide(Some(FileKind::Shell), &[Path::new("out.yml")]);
        assert_eq!((chosen.kind, chosen.source), (FileKind::Shell, KindSource::Option));
        assert_eq!(ChosenKind::decide(None, &[Path::new("notes")]).kind, FileKind::Text);
    }

    #[test]
    fn every_default_symbol_is_invisible_for_its_kind() {
        for kind in FileKind::ALL {
            for symbol in kind.default_alphabet().symbols() {
                assert_eq!(shows(kind, symbol), None, "{kind}: {symbol:?}");
            }
            assert!(shows(kind, b"\x0b").is_some());
        }
    }
}
