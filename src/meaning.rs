//! The proof that a placed suffix keeps a file's meaning: the file's own reader (a JSON, JSON
//! Lines, TOML, YAML or CSV parser, a CommonMark renderer, HTML's raw-text rules, Python's and
//! bash's grammars) reads the
//! original and the output, and what it reads must be the same. A hit whose output reads
//! differently is passed over like a line that does not fit ([`crate::line_fit`]); a placement
//! whose first suffix already reads differently is not used at all ([`crate::placement`]).
//!
//! Each reader turns bytes into a canonical description of what a program reading the file
//! gets (the parsed value, the rendered HTML); two files mean the same when their
//! descriptions are equal.

mod syntax_tree;

use crate::kind::FileKind;
use std::fmt;
pub use syntax_tree::Grammar;

/// The most of a file the proof reads: a proven kind is a document, not a data dump.
pub const MAX_PROVEN_BYTES: u64 = 64 << 20;

/// What a reader makes of a file: its meaning in words, or why it cannot read it.
type Reading = Result<String, Unreadable>;

/// Why a reader could not read a file, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    /// The reader's own message.
    pub message: String,
    /// The 1-based line it points at, when it says.
    pub line: Option<usize>,
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{} (line {line})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The readers ghostsum proves meaning with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// serde_json: the value.
    Json,
    /// serde_json, one value per line; a blank line is an error, as per-line readers make it.
    JsonLines,
    /// toml: the table.
    Toml,
    /// yaml-rust2 (YAML 1.2): every document's value, scalars exactly.
    Yaml,
    /// csv: every record's fields, with this delimiter.
    Delimited(u8),
    /// pulldown-cmark with GitHub's extensions: the rendered HTML.
    Markdown,
    /// The end of an HTML document: whether the suffix lands in raw text (`<pre>`,
    /// `<textarea>`, `<script>`, `<style>`...), where whitespace is shown or is code.
    Html,
    /// A program's syntax tree (tree-sitter): its nodes, its tokens, and the text of its
    /// strings and here-documents.
    Syntax(Grammar),
}

impl Reader {
    /// The reader of a kind, if it has one (plain text has none: every byte is its meaning).
    pub fn of(kind: FileKind) -> Option<Reader> {
        Some(match kind {
            FileKind::Json => Reader::Json,
            FileKind::Jsonl => Reader::JsonLines,
            FileKind::Toml => Reader::Toml,
            FileKind::Yaml => Reader::Yaml,
            FileKind::Csv => Reader::Delimited(b','),
            FileKind::Tsv => Reader::Delimited(b'\t'),
            FileKind::Markdown => Reader::Markdown,
            FileKind::Html => Reader::Html,
            FileKind::Shell => Reader::Syntax(Grammar::Bash),
            FileKind::Python => Reader::Syntax(Grammar::Python),
            FileKind::Text => return None,
        })
    }

    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Reader::Json => "JSON reader (serde_json)",
            Reader::JsonLines => "JSON Lines reader (serde_json, a value per line)",
            Reader::Toml => "TOML reader (toml)",
            Reader::Yaml => "YAML reader (yaml-rust2)",
            Reader::Delimited(b'\t') => "TSV reader (csv)",
            Reader::Delimited(_) => "CSV reader (csv)",
            Reader::Markdown => "Markdown renderer (pulldown-cmark, GFM)",
            Reader::Html => "HTML raw-text check",
            Reader::Syntax(Grammar::Python) => "Python grammar (tree-sitter-python)",
            Reader::Syntax(Grammar::Bash) => "shell grammar (tree-sitter-bash)",
        }
    }

    /// What the reader makes of `bytes`; `at` is where a suffix starts (for HTML, which looks
    /// only there).
    fn read(self, bytes: &[u8], at: usize) -> Reading {
        match self {
            Reader::Json => read_json(bytes),
            Reader::JsonLines => read_json_lines(bytes),
            Reader::Toml => read_toml(bytes),
            Reader::Yaml => read_yaml(bytes),
            Reader::Delimited(delimiter) => read_delimited(bytes, delimiter),
            Reader::Markdown => read_markdown(bytes),
            Reader::Html => read_html_end(bytes, at),
            Reader::Syntax(grammar) => syntax_tree::read(grammar, bytes, at),
        }
    }
}

/// A file's meaning as its reader reads it, and where a suffix goes into it.
pub struct MeaningCheck {
    reader: Reader,
    /// Shared by every place tried ([`MeaningCheck::placed_before`]): up to 64 MiB, read once.
    original: std::sync::Arc<[u8]>,
    at: usize,
    /// Bytes the output gets after the suffix that the original does not hold.
    after_suffix: Vec<u8>,
    meaning: String,
}

impl fmt::Debug for MeaningCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MeaningCheck({:?}, {} bytes, suffix at {})", self.reader, self.original.len(), self.at)
    }
}

impl MeaningCheck {
    /// Reads `original` with `reader`: an error when the reader cannot read the original
    /// itself (then nothing can be proven about an output).
    pub fn new(reader: Reader, original: Vec<u8>) -> Result<MeaningCheck, Unreadable> {
        let at = original.len();
        // HTML's check reads the place only, which placed_before sets.
        let meaning = if reader == Reader::Html { String::new() } else { reader.read(&original, at)? };
        Ok(MeaningCheck { reader, original: original.into(), at, after_suffix: Vec::new(), meaning })
    }

    /// The same check for a suffix that goes before the last `trailer_len` bytes (the
    /// original is read once, by [`MeaningCheck::new`]; HTML's check reads the place).
    pub fn placed_before(&self, trailer_len: usize) -> Result<MeaningCheck, Unreadable> {
        let at = self.original.len() - trailer_len.min(self.original.len());
        let meaning = match self.reader {
            Reader::Html => self.reader.read(&self.original, at)?,
            _ => self.meaning.clone(),
        };
        Ok(MeaningCheck { reader: self.reader, original: self.original.clone(), at, after_suffix: Vec::new(), meaning })
    }

    /// The same check for a suffix appended after the last byte and followed by `bytes` the
    /// original does not hold (a line break of its own).
    pub fn appended_with(&self, bytes: &[u8]) -> Result<MeaningCheck, Unreadable> {
        let mut placed = self.placed_before(0)?;
        placed.after_suffix = bytes.to_vec();
        Ok(placed)
    }

    /// The line the suffix starts on (1-based).
    pub fn line(&self) -> usize {
        line_of(&self.original, self.at)
    }

    /// The reader.
    pub fn reader(&self) -> Reader {
        self.reader
    }

    /// The output for `suffix`: the original with the suffix at its place.
    pub fn output(&self, suffix: &[u8]) -> Vec<u8> {
        [&self.original[..self.at], suffix, &self.after_suffix, &self.original[self.at..]].concat()
    }

    /// Why the output for `suffix` reads differently, in words; None when it reads the same.
    pub fn changed(&self, suffix: &[u8]) -> Option<String> {
        match self.reader.read(&self.output(suffix), self.at) {
            Ok(meaning) if meaning == self.meaning => None,
            Ok(_) => Some(format!("the {} reads a different value", self.reader.name())),
            Err(why) => Some(format!("the {} fails: {why}", self.reader.name())),
        }
    }

    /// Does the output for `suffix` read the same?
    pub fn keeps(&self, suffix: &[u8]) -> bool {
        self.changed(suffix).is_none()
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, Unreadable> {
    std::str::from_utf8(bytes).map_err(|e| Unreadable {
        message: format!("not UTF-8 at byte {}", e.valid_up_to()),
        line: Some(line_of(bytes, e.valid_up_to())),
    })
}

/// The 1-based line of byte `offset`.
pub fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

fn read_json(bytes: &[u8]) -> Reading {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .map(|value| value.to_string())
        .map_err(|e| Unreadable { message: e.to_string(), line: Some(e.line()) })
}

fn read_json_lines(bytes: &[u8]) -> Reading {
    let text = utf8(bytes)?;
    let body = text.strip_suffix('\n').unwrap_or(text);
    let mut values = Vec::new();
    for (n, line) in body.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            return Err(Unreadable { message: "a blank line is not a JSON value".into(), line: Some(n + 1) });
        }
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| Unreadable { message: e.to_string(), line: Some(n + 1) })?;
        values.push(value.to_string());
    }
    Ok(values.join("\n"))
}

fn read_toml(bytes: &[u8]) -> Reading {
    let text = utf8(bytes)?;
    text.parse::<toml::Table>().map(|table| format!("{table:?}")).map_err(|e| Unreadable {
        message: e.message().to_string(),
        line: e.span().map(|span| line_of(bytes, span.start)),
    })
}

fn read_yaml(bytes: &[u8]) -> Reading {
    let text = utf8(bytes)?;
    yaml_rust2::YamlLoader::load_from_str(text)
        .map(|documents| format!("{documents:?}"))
        .map_err(|e| Unreadable { message: e.info().to_string(), line: Some(e.marker().line()) })
}

fn read_delimited(bytes: &[u8], delimiter: u8) -> Reading {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(bytes);
    let mut records = Vec::new();
    for record in reader.byte_records() {
        let record =
            record.map_err(|e| Unreadable { message: e.to_string(), line: e.position().map(|p| p.line() as usize) })?;
        records.push(format!("{:?}", record.iter().collect::<Vec<_>>()));
    }
    // The csv crate skips blank lines; Python's csv.reader yields an empty row for each, so a
    // line count that changes is a change too.
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() + usize::from(bytes.last().is_some_and(|&b| b != b'\n'));
    Ok(format!("{lines} lines: {}", records.join("\n")))
}

fn read_markdown(bytes: &[u8]) -> Reading {
    use pulldown_cmark::{Options, Parser};
    let text = utf8(bytes)?;
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_GFM;
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(text, options));
    Ok(html)
}

/// Elements whose text a browser shows or runs as written, whitespace included.
const RAW_TEXT: [&str; 7] = ["pre", "textarea", "script", "style", "xmp", "listing", "plaintext"];

/// HTML collapses whitespace between tags and in text, except inside the raw-text elements
/// (and `<pre>`), and a browser reads whatever follows `</html>` as more body. What it reads
/// of a suffix at `at`: whether an open raw-text element or an unclosed tag, comment or
/// attribute holds it.
fn read_html_end(bytes: &[u8], at: usize) -> Reading {
    let before = String::from_utf8_lossy(&bytes[..at.min(bytes.len())]).to_ascii_lowercase();
    for name in RAW_TEXT {
        let open = last_tag(&before, &format!("<{name}"));
        let close = before.rfind(&format!("</{name}"));
        if let Some(open) = open {
            if close.is_none_or(|close| close < open) {
                return Err(Unreadable {
                    message: format!("blanks inside <{name}> show as they are"),
                    line: Some(line_of(bytes, open)),
                });
            }
        }
    }
    if let Some(last_lt) = before.rfind('<') {
        if before.rfind('>').is_none_or(|last_gt| last_lt > last_gt) && !before[last_lt..].starts_with("<!--") {
            return Err(Unreadable {
                message: "blanks inside an unclosed tag join its last attribute".into(),
                line: Some(line_of(bytes, last_lt)),
            });
        }
    }
    Ok("between tags: whitespace collapses".into())
}

/// The last `<name` that opens a tag of that name (followed by `>`, whitespace or `/`).
fn last_tag(text: &str, open: &str) -> Option<usize> {
    text.match_indices(open)
        .filter(|(i, _)| {
            text[i + open.len()..].chars().next().is_none_or(|c| c == '>' || c == '/' || c.is_whitespace())
        })
        .map(|(i, _)| i)
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(reader: Reader, original: &str, trailer: usize) -> MeaningCheck {
        MeaningCheck::new(reader, original.as_bytes().to_vec()).unwrap().placed_before(trailer).unwrap()
    }

    #[test]
    fn json_and_toml_keep_their_values_with_blanks_between_tokens() {
        let json = check(Reader::Json, "{\"a\": [1, 2]}\n", 1);
        assert!(json.keeps(b" \t\n  \n"));
        assert!(!json.keeps(b"x"));
        let toml = check(Reader::Toml, "a = 1\nb = \"x\"\n", 1);
        assert!(toml.keeps(b"  \t\n"));
        // Inside a multi-line string the blanks are the value.
        let toml = check(Reader::Toml, "a = \"\"\"\nx\n\"\"\"\n", 5);
        assert!(!toml.keeps(b"  "));
    }

    #[test]
    fn json_lines_refuse_blank_lines_and_keep_trailing_blanks() {
        let lines = check(Reader::JsonLines, "{\"a\":1}\n{\"b\":2}\n", 1);
        assert!(lines.keeps(b"  \t"));
        assert!(lines.changed(b" \n ").unwrap().contains("blank line"));
    }

    #[test]
    fn yaml_block_scalars_keep_trailing_blanks_as_their_value() {
        let yaml = check(Reader::Yaml, "data:\n  script: |\n    echo hi\n", 1);
        assert!(!yaml.keeps(b"   "), "trailing spaces in a literal block are its value");
        let yaml = check(Reader::Yaml, "data:\n  script: |\n    echo hi\n", "\n  script: |\n    echo hi\n".len());
        assert!(yaml.keeps(b"   \n"), "blank lines between a key and its value");
        let plain = check(Reader::Yaml, "a: 1\nb: two\n", 1);
        assert!(plain.keeps(b"  \n  "));
    }

    #[test]
    fn csv_fields_keep_their_blanks() {
        let csv = check(Reader::Delimited(b','), "a,b\n1,2\n", 1);
        assert!(!csv.keeps(b"  "), "the last field gains the blanks");
        assert!(!csv.keeps(b"\n"), "a blank line is an empty row to Python's csv.reader");
    }

    #[test]
    fn markdown_fences_and_hard_breaks_show_blanks() {
        let unclosed = check(Reader::Markdown, "text\n\n```\ncode\n", 1);
        assert!(!unclosed.keeps(b"\n\n"));
        let paragraph = check(Reader::Markdown, "one\ntwo\n", "\ntwo\n".len());
        assert!(!paragraph.keeps(b"  "), "two trailing spaces inside a paragraph are a hard break");
        let end = check(Reader::Markdown, "# Title\n\nLast line.\n", 1);
        assert!(end.keeps(b"  \n \n"));
    }

    #[test]
    fn html_raw_text_refuses_the_place() {
        let open_pre = MeaningCheck::new(Reader::Html, b"<p>x</p>\n<pre>\ncode\n".to_vec()).unwrap();
        assert_eq!(open_pre.placed_before(1).unwrap_err().line, Some(2));
        assert!(check(Reader::Html, "<pre>x</pre>\n", 1).keeps(b" \n "));
        assert!(read_html_end(b"<a href='x'\n", 11).unwrap_err().message.contains("unclosed tag"));
        assert!(read_html_end(b"<script>\nx()\n</script>\n", 24).is_ok());
    }
}
