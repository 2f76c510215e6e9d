#!/usr/bin/env python3
"""Real files that other projects wrote, searched with default options and checked the way
their readers and a person read them.

Files come from what Debian's packages install (Python's standard library, READMEs, HTML and
CRLF files under /usr/share/doc, YAML anywhere under /usr) and from the cases issue 28 names
(CRLF lines, a YAML block scalar last, CSV, JSON Lines, a here-document on a last line
without a line break, one left open, strings left open in Python and shell, an unclosed
Markdown fence). For each, `ghostsum search FILE -p PREFIX`
must either write an output where

* hashlib's MD5 starts with the prefix,
* the output is the file with the suffix inserted where `--json` says (`inserted_at`),
* the file still ends in its line break; one without a final line break keeps its last
  line's text, the suffix starting on a new line after it,
* a CRLF file gains no bare LF,
* Python's own reader (ast, json, tomllib, PyYAML, csv, cmark-gfm) reads the same,
* `ghostsum verify --strict --original` passes on it,
* after `cat OUTPUT` at a bash prompt in tmux, the next prompt lands in the column it did
  after `cat FILE` (for files that end in a line break),

or refuse with exit 2 and one line that names the file and what to do. Prints
'N passed, N failed'.
"""

import argparse
import ast
import csv
import glob
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

PREFIX = "c0d"
# Files without a final line break: the suffix follows their last line.
NO_FINAL_BREAK = []

# The issue's own cases: (name, bytes, expected: "kept" or "refused").
CASES = [
    ("crlf.txt", b"line one\r\nline two\r\n", "kept"),
    ("crlf-noeol.txt", b"line one\r\nline two", "kept"),
    ("configmap.yaml", b"data:\n  script: |\n    echo hi\n", "kept"),
    ("strip.yaml", b"steps:\n  - run: |-\n      make test\n", "kept"),
    ("folded.yaml", b"a: >\n  folded text\n", "kept"),
    ("keep.yaml", b"k: v\nb: |+\n  kept\n\n", "kept"),
    ("table.csv", b"name,count\nmap,1\nlantern,2\n", "refused"),
    ("table.tsv", b"name\tcount\nmap\t1\n", "refused"),
    ("events.jsonl", b'{"a": 1}\n{"b": [2, 3]}\n', "kept"),
    ("heredoc.sh", b"cat <<EOF\nhello\nEOF", "kept"),
    ("heredoc-eol.sh", b"cat <<EOF\nhello\nEOF\n", "kept"),
    ("heredoc-tabs.sh", b"if true; then\n\tcat <<-EOF\n\thello\n\tEOF\nfi", "kept"),
    ("heredoc-open.sh", b"cat <<EOF\nhello\n", "refused"),
    ("quote-open.sh", b"echo 'one\ntwo\n", "refused"),
    ("noeol.py", b"def f():\n    return 1", "kept"),
    ("docstring-last.py", b'x = 1\n"""doc\n"""', "kept"),
    ("string-open.py", b'x = """doc\n', "refused"),
    ("fence.md", b"# Title\n\n```\ncode\n", "kept"),
    ("noeol.txt", b"first\nsecond", "kept"),
    ("pre.html", b"<html><body>\n<pre>\nkeep  me\n", "kept"),
    ("pre-only.html", b"<pre>\nkeep  me\n", "refused"),
]


def real_files() -> list[Path]:
    """Files Debian's packages installed: a few of each kind, by a stable order."""
    picks = []

    def take(pattern, count, recursive=False, want=None):
        found = sorted(p for p in glob.glob(pattern, recursive=recursive) if os.path.isfile(p)
                       and 0 < os.path.getsize(p) < 200_000)
        found = [p for p in found if want is None or want(Path(p))]
        picks.extend(Path(p) for p in found[:count])

    take("/usr/lib/python3*/[a-z]*.py", 6)
    take("/usr/share/doc/*/README*", 4, want=lambda p: p.suffix in ("", ".md", ".txt"))
    take("/usr/share/doc/**/*.html", 3, recursive=True)
    take("/usr/share/**/*.yaml", 2, recursive=True)
    take("/usr/share/**/*.yml", 2, recursive=True)
    take("/usr/share/doc/*/*", 3, want=lambda p: b"\r\n" in p.read_bytes()[:4096] and p.suffix == "")
    take("/usr/bin/*", 3, want=lambda p: p.read_bytes()[:11] == b"#!/bin/bash" or p.read_bytes()[:9] == b"#!/bin/sh")
    take("/usr/lib/python3*/**/*.toml", 1, recursive=True)
    take("/usr/lib/python3*/**/*.json", 1, recursive=True)
    return picks


def kind_of(name: str, data: bytes) -> str:
    ext = Path(name).suffix.lower()
    return {".py": "python", ".md": "markdown", ".html": "html", ".htm": "html", ".yaml": "yaml",
            ".yml": "yaml", ".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".sh": "shell",
            ".json": "json", ".toml": "toml"}.get(ext, "shell" if data.startswith(b"#!/bin/") else "text")


def meaning(kind: str, data: bytes):
    """What the kind's reader (Python's own, independent of ghostsum's Rust readers) reads."""
    text = data.decode("utf-8", errors="surrogateescape")
    if kind == "python":
        return ast.dump(ast.parse(data))
    if kind == "json":
        return json.loads(text)
    if kind == "jsonl":
        return [json.loads(line) for line in text.splitlines()]
    if kind == "toml":
        return tomllib.loads(text)
    if kind == "yaml":
        import yaml
        return list(yaml.safe_load_all(text))
    if kind in ("csv", "tsv"):
        return list(csv.reader(io.StringIO(text, newline=""), delimiter="," if kind == "csv" else "\t"))
    if kind == "markdown" and shutil.which("cmark-gfm"):
        return subprocess.run(["cmark-gfm"], input=data, capture_output=True).stdout
    if kind == "shell" and b"<<" in data:
        # The here-document samples only print: run them, and compare what they print.
        return subprocess.run(["bash", "-c", "exec bash -n /dev/stdin && bash /dev/stdin"], input=data,
                              capture_output=True, timeout=10).stdout if b"cat <<" in data else None
    return None


class Prompt:
    """A bash prompt in tmux: where the next prompt lands after `cat FILE`."""

    def __init__(self, work: Path):
        self.socket = str(work / "tmux.sock")
        self.ok = bool(shutil.which("tmux"))
        if self.ok:
            env = dict(os.environ, PS1="$ ", TERM="xterm")
            subprocess.run(["tmux", "-S", self.socket, "new-session", "-d", "-x", "200", "-y", "50",
                            "bash --norc --noprofile"], env=env, check=True)
            # bash sets its own prompt for root ("bash-5.2#"); one that is easy to find.
            self.type_and_wait("PS1='$ '", lambda screen: screen.rstrip().endswith("$"))

    def screen(self) -> str:
        """The visible screen and the scrollback (a long file scrolls the command away)."""
        return subprocess.run(["tmux", "-S", self.socket, "capture-pane", "-p", "-S", "-"], capture_output=True,
                              text=True).stdout

    def type_and_wait(self, keys: str, done) -> str:
        subprocess.run(["tmux", "-S", self.socket, "send-keys", keys, "Enter"], check=True)
        for _ in range(200):
            time.sleep(0.02)
            screen = self.screen()
            if done(screen):
                return screen
        raise TimeoutError(f"the screen did not settle after {keys!r}:\n{screen}")

    def column_after_cat(self, path: Path) -> int:
        """The column the cursor (the next prompt's end) is in after `cat FILE`."""
        subprocess.run(["tmux", "-S", self.socket, "clear-history"], check=True)
        self.type_and_wait("clear", lambda screen: screen.strip() == "$")
        marker = f"#done-{time.monotonic_ns()}"
        # The typed line stays on the screen; the next prompt follows cat's output.
        self.type_and_wait(f"cat '{path}'  {marker}",
                           lambda screen: marker in screen
                           and screen[screen.index(marker):].split("\n", 1)[-1].rstrip().endswith("$"))
        x = subprocess.run(["tmux", "-S", self.socket, "display", "-p", "#{cursor_x}"], capture_output=True,
                           text=True).stdout.strip()
        return int(x)

    def close(self):
        if self.ok:
            subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True)


def check(binary: str, name: str, data: bytes, expected: str | None, work: Path, prompt: Prompt) -> str | None:
    d = Path(tempfile.mkdtemp(dir=work))
    src = d / name
    src.write_bytes(data)
    out = d / ("out-" + name)
    kind = kind_of(name, data)
    r = subprocess.run([binary, "search", str(src), "-p", PREFIX, "-q", "--json", "-b", "cpu", "-o", str(out),
                        "--for", kind], capture_output=True, text=True, timeout=300)
    if r.returncode == 2:
        lines = r.stderr.strip().splitlines()
        if expected == "kept":
            return f"refused: {r.stderr.strip()}"
        if len(lines) != 1 or str(src) not in lines[0]:
            return f"a refusal that is not one line naming the file: {r.stderr!r}"
        return None
    if r.returncode != 0:
        return f"exit {r.returncode}: {r.stderr.strip()}"
    if expected == "refused":
        return "was searched, where no place keeps its meaning"
    report = json.loads(r.stdout)
    result = out.read_bytes()
    if not hashlib.md5(result).hexdigest().startswith(PREFIX):
        return f"hashlib's MD5 {hashlib.md5(result).hexdigest()} does not start with {PREFIX}"
    if report.get("unchanged"):
        return None
    at, added = report["inserted_at"], len(result) - len(data)
    if result[:at] + result[at + added:] != data:
        return "is not the file with a suffix inserted at inserted_at"
    if data.endswith(b"\n") and not result.endswith(b"\n"):
        return "no longer ends in a line break"
    if not data.endswith(b"\n"):
        # No final line break: the suffix follows the last line, starting on a line of its
        # own, so the last line keeps its text (README: the next prompt starts a line).
        NO_FINAL_BREAK.append(name)
        if not result.startswith(data) or result[len(data):len(data) + 1] not in (b"\n", b"\r"):
            return "its last line changed: the suffix does not start on a new line after it"
    if b"\r\n" in data and data.count(b"\n") == data.count(b"\r\n") and result.count(b"\n") != result.count(b"\r\n"):
        return "a CRLF file gained a bare LF"
    v = subprocess.run([binary, "verify", str(out), "-p", PREFIX, "--strict", "--original", str(src), "--for", kind],
                       capture_output=True, text=True, timeout=60)
    if v.returncode != 0:
        return f"verify --strict --original fails on the output: {v.stdout.strip()} {v.stderr.strip()}"
    try:
        before = meaning(kind, data)
    except Exception:
        before = None  # the original does not parse in Python either: nothing to compare
    if before is not None:
        try:
            after = meaning(kind, result)
        except Exception as e:
            return f"Python's {kind} reader fails on the output: {type(e).__name__}: {e}"
        if after != before:
            return f"Python's {kind} reader reads a different value"
    if prompt.ok and len(data) < 20_000 and data.endswith(b"\n"):
        if prompt.column_after_cat(src) != prompt.column_after_cat(out):
            return "after cat, the next prompt lands in another column"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ghostsum", required=True)
    args = parser.parse_args()
    if not shutil.which("tmux"):
        print("real_files.py: missing tmux; .ci/run installs it", file=sys.stderr)
        return 4
    cases = [(name, data, expected) for name, data, expected in CASES]
    found = real_files()
    cases += [(p.name if p.suffix else p.name + ("" if p.read_bytes()[:2] != b"#!" else ".sh"), p.read_bytes(), None)
              for p in found]
    passed, failures = 0, []
    with tempfile.TemporaryDirectory(prefix="ghostsum-real-") as tmp:
        prompt = Prompt(Path(tmp))
        try:
            for name, data, expected in cases:
                why = check(args.ghostsum, name, data, expected, Path(tmp), prompt)
                if why:
                    failures.append(f"{name}: {why}")
                else:
                    passed += 1
        finally:
            prompt.close()
    print(f"real files: {len(found)} from Debian's packages, {len(CASES)} of the issue's cases")
    if NO_FINAL_BREAK:
        print(f"no final line break (the suffix follows the last line): {', '.join(NO_FINAL_BREAK)}")
    for f in failures:
        print(f"FAILED: {f}", file=sys.stderr)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures or len(found) < 10 else 0


if __name__ == "__main__":
    sys.exit(main())
