//! Programs read by their grammar: tree-sitter's Python and bash parsers turn a file into a
//! syntax tree, and a program means the same when its tree has the same nodes with the same
//! text. Whitespace between tokens is not part of that (a blank line between two statements
//! means nothing to Python or bash), except inside the nodes whose text is the value: strings,
//! here-document bodies. A suffix that lands in a string, a here-document or a line
//! continuation changes a node, and is seen.
//!
//! The grammars are close to, not the same as, what python and bash accept: 22 of 178 shell
//! scripts in Debian's /usr/bin hold a construct tree-sitter-bash does not parse (`for i do`,
//! `. file`). The parser recovers after an error, so a file whose errors all lie before the
//! top-level statement the suffix follows is still read: its error nodes count as text,
//! blanks included, and that last statement must parse. (A string or here-document left
//! open near the end leaves errors or missing nodes at the end, which are refused.)

use super::{Reading, Unreadable};
use tree_sitter::{Language, Node, Parser, TreeCursor};

/// A grammar, and the nodes whose whitespace is their value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grammar {
    /// tree-sitter-python.
    Python,
    /// tree-sitter-bash (sh scripts too: POSIX sh is bash's subset for what it parses).
    Bash,
}

impl Grammar {
    fn language(self) -> Language {
        match self {
            Grammar::Python => tree_sitter_python::LANGUAGE.into(),
            Grammar::Bash => tree_sitter_bash::LANGUAGE.into(),
        }
    }

    /// Nodes that hold text as written, blanks included, between their children.
    fn is_literal(self, kind: &str) -> bool {
        match self {
            Grammar::Python => matches!(kind, "string" | "string_content" | "concatenated_string"),
            Grammar::Bash => matches!(
                kind,
                "string"
                    | "raw_string"
                    | "ansi_c_string"
                    | "translated_string"
                    | "heredoc_body"
                    | "heredoc_content"
                    | "concatenation"
                    | "word"
            ),
        }
    }
}

/// The program's tree as text: every node's kind and depth, each token's text, and the text
/// between the children of literal and error nodes. An error when the grammar cannot parse
/// the top-level statement before `at` (where a suffix starts).
pub(super) fn read(grammar: Grammar, bytes: &[u8], at: usize) -> Reading {
    let mut parser = Parser::new();
    parser
        .set_language(&grammar.language())
        .map_err(|e| Unreadable { message: format!("the grammar does not load: {e}"), line: None })?;
    let tree =
        parser.parse(bytes, None).ok_or_else(|| Unreadable { message: "the parser gave up".into(), line: None })?;
    let root = tree.root_node();
    if root.is_error() {
        // The parser could not recover: the whole file is one error node.
        let mut walker = root.walk();
        let first = root.children(&mut walker).find(|node| node.is_error() || node.has_error());
        let line = first.map_or(1, |node| first_error(node).line.unwrap_or(1));
        return Err(Unreadable {
            message: format!("it does not parse as a whole (the first error is on line {line})"),
            line: None,
        });
    }
    if root.has_error() {
        let mut walker = root.walk();
        let last_before = root.children(&mut walker).filter(|statement| statement.start_byte() < at).last();
        if let Some(statement) = last_before.filter(|statement| statement.has_error()) {
            return Err(first_error(statement));
        }
    }
    let mut described = String::new();
    let mut cursor = root.walk();
    loop {
        describe(grammar, cursor.node(), cursor.depth(), bytes, &mut described);
        if cursor.goto_first_child() {
            continue;
        }
        if !next_in_preorder(&mut cursor) {
            return Ok(described);
        }
    }
}

/// Moves to the next node after a subtree; false at the end of the tree.
fn next_in_preorder(cursor: &mut TreeCursor) -> bool {
    loop {
        if cursor.goto_next_sibling() {
            return true;
        }
        if !cursor.goto_parent() {
            return false;
        }
    }
}

fn describe(grammar: Grammar, node: Node, depth: u32, bytes: &[u8], out: &mut String) {
    use std::fmt::Write;
    let text = |from: usize, to: usize| String::from_utf8_lossy(&bytes[from..to]).into_owned();
    let _ = write!(out, "{depth} {}", node.kind());
    if node.child_count() == 0 {
        let token = match node.kind() {
            // A comment's trailing blanks are nothing to the program.
            "comment" => text(node.start_byte(), node.end_byte()).trim_end().to_string(),
            // bash ends a here-document at a line that is the delimiter and nothing else;
            // tree-sitter-bash also takes one with blanks after it.
            "heredoc_end" => text(line_start(bytes, node.start_byte()), line_end(bytes, node.end_byte())),
            _ => text(node.start_byte(), node.end_byte()),
        };
        let _ = write!(out, " {token:?}");
    } else {
        let literal = node.is_error() || grammar.is_literal(node.kind());
        let mut from = node.start_byte();
        let mut gaps = Vec::new();
        let mut walker = node.walk();
        for child in node.children(&mut walker) {
            gaps.push((from, child.start_byte()));
            from = child.end_byte();
        }
        gaps.push((from, node.end_byte()));
        for (start, end) in gaps {
            let gap = &bytes[start.min(end)..end];
            if literal || !gap.iter().all(u8::is_ascii_whitespace) {
                let _ = write!(out, " {:?}", text(start.min(end), end));
            }
        }
    }
    out.push('\n');
}

fn line_start(bytes: &[u8], at: usize) -> usize {
    bytes[..at].iter().rposition(|&b| b == b'\n').map_or(0, |lf| lf + 1)
}

fn line_end(bytes: &[u8], at: usize) -> usize {
    bytes[at..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |lf| at + lf)
}

/// The first node the parser could not place, with its line.
fn first_error(root: Node) -> Unreadable {
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            let what = if node.is_missing() { format!("a missing {}", node.kind()) } else { "a syntax error".into() };
            return Unreadable { message: what, line: Some(node.start_position().row + 1) };
        }
        let descend = node.has_error() && cursor.goto_first_child();
        if !descend && !next_in_preorder(&mut cursor) {
            return Unreadable { message: "a syntax error".into(), line: Some(root.start_position().row + 1) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(grammar: Grammar, a: &str, b: &str) -> bool {
        read(grammar, a.as_bytes(), a.len()).unwrap() == read(grammar, b.as_bytes(), a.len()).unwrap()
    }

    #[test]
    fn blank_lines_between_statements_mean_nothing() {
        assert!(same(Grammar::Python, "def f():\n    return 1\n", "def f():\n    return 1\n \t\n  \n"));
        assert!(same(Grammar::Bash, "echo hi\n", "echo hi\n\n \t \n"));
        assert!(same(Grammar::Bash, "cat <<EOF\nhello\nEOF", "cat <<EOF\nhello\nEOF\n  \n"));
    }

    #[test]
    fn blanks_in_strings_and_here_documents_are_their_value() {
        assert!(!same(Grammar::Python, "s = '''a\n'''\n", "s = '''a\n  \n'''\n"));
        assert!(!same(Grammar::Bash, "cat <<EOF\nhello\nEOF\n", "cat <<EOF\nhello\n   \nEOF\n"));
        assert!(!same(Grammar::Bash, "cat <<EOF\nhi $x\nEOF\n", "cat <<EOF\nhi $x\n \nEOF\n"));
        assert!(!same(Grammar::Bash, "echo \"a\nb\"\n", "echo \"a\n \nb\"\n"));
        // The delimiter line gains blanks: it is no longer the delimiter.
        assert!(!same(Grammar::Bash, "cat <<EOF\nhello\nEOF\n", "cat <<EOF\nhello\nEOF  \n"));
        assert!(same(Grammar::Bash, "\tcat <<-EOF\n\thello\n\tEOF\n", "\tcat <<-EOF\n\thello\n\tEOF\n\n \t\n"));
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let err = read(Grammar::Python, b"x = 1\ndef f(:\n", 15).unwrap_err();
        assert_eq!(err.line, Some(2), "{err:?}");
        assert!(read(Grammar::Bash, b"if true; then\n", 14).is_err());
    }

    #[test]
    fn an_error_before_the_last_statement_is_read_as_text() {
        // tree-sitter-bash does not parse `for i do`, which sh runs.
        let script = "for i do echo \"$i\"; done\necho end\n";
        assert!(read(Grammar::Bash, script.as_bytes(), script.len() - 1).is_ok());
        assert!(same(Grammar::Bash, script, "for i do echo \"$i\"; done\necho end\n \n"));
        // An error in the statement the suffix follows is not read past.
        let err = read(Grammar::Bash, b"for i do echo; done\nif true; then\n", 33).unwrap_err();
        assert_eq!(err.line, Some(2), "{err:?}");
    }
}
