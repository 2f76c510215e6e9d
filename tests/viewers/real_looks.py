#!/usr/bin/env python3
"""Real files, searched with default options, looked at the way a person looks at them.

The files are tests/real_files.py's: what Debian's packages install (Python's standard
library, READMEs, HTML and CRLF files under /usr/share/doc, YAML, shell scripts from
/usr/bin) and the cases issue 28 names; the ones ghostsum refuses are left out (real_files.py
checks the refusals). For each, `ghostsum search FILE -p c0d -o OUT` writes the output, and
the original and the output are shown by:

  cat                 the screen and scrollback after `cat FILE` in tmux
  less-end            `less +G`: the end of the file, where the suffix is
  vim-end             `vim --clean +`: the end, and the message line (`[noeol]`, `[dos]`,
                      `[unix]` and the like, line and byte counts aside)
  vim-debian-end      `vim +` with Debian's own vimrc (ruler, syntax), and its message line
  nano-end            `nano --ignorercfiles +-1`: the end (a line too wide shows `>`)
  chromium-plain      the file served as text/plain in headless Chromium, pixel by pixel
  chromium-end        the last screenful of the original's text, as a region of the page
                      (wherever the page scrolls), in both
  reader              Python's own reader of the kind (tests/real_files.py), for every file
  chromium-markdown   Markdown rendered by cmark-gfm, and HTML as a page (their kinds only)
  nano-debian-end     nano with Debian's /etc/nanorc: reported, not asserted (it colours
                      trailing whitespace in .sh, .py, .json and .yaml files: a lint)
  chromium-scrollbar  the text/plain page at the top with Chromium's scrollbars shown:
                      reported, not asserted (a page that grows has a shorter thumb)

A terminal view at the end compares the text the output shows with the last lines of what
the original shows: the suffix's blank lines after the text push it up a few lines, which
is all a person sees (README), unless they fill the whole screen (an LF-first suffix starts
with its high digits, all line breaks): that is counted and reported, not failed. Where the
placement moved the suffix above the end (a YAML
`|+` block, an open Markdown fence), its blank lines stand between lines of text, and the
views say so; that is reported as a gap, not a failure. Prints a Markdown table and
'N passed, N failed'; exit 1 on a failure, 4 when a viewer is missing.
"""

import argparse
import concurrent.futures
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import real_files  # noqa: E402
from browser import Chromium, Picture, missing_programs  # noqa: E402
from matrix import Looker  # noqa: E402
from terminal import screen_difference, visible_lines  # noqa: E402

PREFIX = "c0d"
TAIL_VIEWS = ["cat", "less-end", "vim-end", "vim-debian-end", "nano-end"]
VIMS = {"vim-end": "vim-end", "vim-status": "vim-end", "vim-debian-end": "vim-debian-end",
        "vim-debian-status": "vim-debian-end"}
LINT = "nano-debian-end"
PAGE_VIEWS = {"markdown": "chromium-markdown", "html": "chromium-html"}
COLUMNS = TAIL_VIEWS + ["vim-status", "vim-debian-status", "chromium-plain", "chromium-end", "chromium-rendered",
                        "reader"]
# Reported, not asserted: Chromium's scrollbar (with scrollbars shown), whose thumb shortens
# when a page grows by the suffix's lines.
SCROLLBAR = "chromium-scrollbar"
# Kinds the matrix's Looker knows by a sample name; the rest are looked at as text.
LOOKER_KINDS = {"text", "markdown", "html", "shell", "python", "json", "toml", "yaml"}


# The end views' outcome when the suffix's blank lines fill the whole screen: a person at the
# end sees nothing but them (an LF-first suffix starts with its high digits, all line breaks).
FILLS_THE_SCREEN = "the suffix's blank lines fill the screen"
# vim's message line when a file without a final line break gets a suffix that ends in one:
# the file has lines of its own after its text, and vim no longer says [noeol].
NOEOL_GONE = "[noeol] is gone: the suffix after the last line ends in a line break"
REPORTED = (FILLS_THE_SCREEN, NOEOL_GONE)


def text_only(rows: list) -> list:
    """Rows as their characters: vim's syntax colours follow where the screen starts."""
    return [[(ch, ()) for ch, _ in row] for row in rows]


def tail_difference(before: list, after: list) -> str | None:
    """None when the output's view shows the original's last lines, as they were."""
    # The '~' filler above a short file's text (less +G) is the viewer's own.
    def text(rows):
        rows = list(rows)
        while rows and "".join(c for c, _ in rows[0]) == "~":
            rows.pop(0)
        return rows
    before, after = text(before), text(after)
    if before == after:
        return None
    if not after:
        return FILLS_THE_SCREEN
    if len(after) > len(before):
        return screen_difference(before, after)
    tail = before[len(before) - len(after):]
    return None if tail == after else screen_difference(tail, after)


def message_line(captured: str) -> str:
    """What vim's message line says of the file (`"name" [noeol] [dos] 12L, 345B`), its
    counts left out, and without the ruler (the cursor's place) after it."""
    line = captured.removesuffix("\n").split("\n")[-1]
    line = re.sub(r"\x1b\[[0-9;]*m", "", line).strip()
    return re.sub(r"\d+", "N", re.split(r"\s{2,}", line)[0])


class Looks:
    def __init__(self, looker: Looker, scrolling: Chromium):
        self.looker = looker
        self.scrolling = scrolling
        self.vim = {}

    def vim_screen(self, vim, name, data):
        key = (vim, name, data)
        if key not in self.vim:
            d = self.looker.case_dir()
            path = d / name
            path.write_bytes(data)
            captured = self.looker.tmux.screen(vim, path)
            self.vim[key] = (visible_lines(captured, vim), message_line(captured))
        return self.vim[key]

    def raw_url(self, name, data) -> str:
        d = self.looker.case_dir()
        (d / "raw" / name).write_bytes(data)
        return f"{self.looker.site.base}/{d.name}/raw/{name}"

    def chromium_end(self, name, original, output) -> str | None:
        """The last screenful of the original's text, as a region of the page, in both."""
        chromium = self.looker.chromium
        before_url, after_url = self.raw_url(name, original), self.raw_url(name, output)
        height = chromium.page_height(before_url)
        top, tall = max(0, height - chromium.height), min(height, chromium.height)
        shots = []
        for url in (before_url, after_url):
            path = self.looker.case_dir() / "end.png"
            path.write_bytes(chromium.screenshot_of(url, top, tall))
            shots.append(Picture(path))
        return None if shots[0] == shots[1] else "the end of the text looks different"

    def scrollbar(self, name, original, output) -> str | None:
        heights = [self.scrolling.page_height(self.raw_url(name, data)) for data in (original, output)]
        shots = []
        for data in (original, output):
            path = self.looker.case_dir() / "top.png"
            path.write_bytes(self.scrolling.screenshot(self.raw_url(name, data)))
            shots.append(Picture(path))
        if shots[0] == shots[1]:
            return None
        return f"the scrollbar changes: the page is {heights[1] - heights[0]} px longer"

    def look(self, view, kind, name, original, output) -> str | None:
        """None when the view shows the same; else what shows."""
        as_kind = kind if kind in LOOKER_KINDS else "text"
        if view in ("vim-end", "vim-debian-end"):
            before, after = self.vim_screen(view, name, original)[0], self.vim_screen(view, name, output)[0]
            return tail_difference(text_only(before), text_only(after))
        if view == "chromium-end":
            return self.chromium_end(name, original, output)
        if view == SCROLLBAR:
            return self.scrollbar(name, original, output)
        if view == "reader":
            return reader_difference(kind, original, output)
        if view in ("vim-status", "vim-debian-status"):
            vim = VIMS[view]
            before, after = self.vim_screen(vim, name, original)[1], self.vim_screen(vim, name, output)[1]
            if before == after:
                return None
            if before.replace(" [noeol]", "") == after and not original.endswith(b"\n"):
                return NOEOL_GONE
            return f"message line {after!r}, was {before!r}"
        if view in TAIL_VIEWS or view == LINT:
            before = self.looker.render(view, as_kind, original, name)
            after = self.looker.render(view, as_kind, output, name)
            return tail_difference(before, after)
        if view == "chromium-rendered":
            page_view = PAGE_VIEWS.get(kind)
            return page_view and self.looker.look(page_view, as_kind, original, output)
        return self.looker.look(view, as_kind, original, output)


def reader_difference(kind, original, output) -> str | None:
    """Python's own reader of the kind (real_files.meaning: ast, json, tomllib, PyYAML, csv,
    cmark-gfm, what a here-document prints); None where it reads the same or has none."""
    try:
        before = real_files.meaning(kind, original)
    except Exception:
        return None  # the original does not parse in Python either: nothing to compare
    if before is None:
        return None
    try:
        return None if real_files.meaning(kind, output) == before else f"Python's {kind} reader reads a different value"
    except Exception as e:
        return f"Python's {kind} reader fails: {type(e).__name__}"


def search(binary: str, work: Path, name: str, data: bytes, kind: str):
    d = Path(tempfile.mkdtemp(dir=work))
    src, out = d / name, d / f"out-{name}"
    src.write_bytes(data)
    r = subprocess.run([binary, "search", str(src), "-p", PREFIX, "-q", "--json", "-b", "cpu", "-o", str(out),
                        "--for", kind], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        return None, r.stderr.strip()
    return (json.loads(r.stdout), out.read_bytes()), None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ghostsum", required=True)
    parser.add_argument("--jobs", type=int, default=6)
    parser.add_argument("--markdown", type=Path, help="write the table here too")
    args = parser.parse_args()
    binary = str(Path(args.ghostsum).resolve())
    missing = missing_programs(("tmux", "less", "vim", "nano", "cmark-gfm"))
    if missing:
        print(f"real_looks.py: missing {', '.join(missing)}; .ci/run installs them", file=sys.stderr)
        return 4
    started = time.monotonic()
    files = [(name, data) for name, data, expected in real_files.CASES if expected == "kept"]
    files += [(p.name if p.suffix or p.read_bytes()[:2] != b"#!" else p.name + ".sh", p.read_bytes())
              for p in real_files.real_files()]
    rows, failures = [], []
    with tempfile.TemporaryDirectory(prefix="ghostsum-looks-") as tmp, \
            concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        work = Path(tmp)
        looker = Looker(work)
        scrolling = Chromium(scrollbars=True)
        looks = Looks(looker, scrolling)
        try:
            searched, refused = [], []
            for name, data in files:
                kind = real_files.kind_of(name, data)
                result, why = search(binary, work, name, data, kind)
                if result is None:
                    # real_files.py checks that a refusal is one clear line; nothing to look at.
                    refused.append(name)
                    continue
                searched.append((name, kind, data, result))

            def row(item):
                name, kind, data, (report, output) = item
                placement = report.get("placement") or "unchanged"
                moved_up = placement.startswith("at the end of the line above")
                cells = {view: looks.look(view, kind, name, data, output) for view in COLUMNS + [LINT, SCROLLBAR]}
                return {"name": name, "kind": kind, "placement": placement, "moved_up": moved_up, "cells": cells}

            rows = list(pool.map(row, searched))
        finally:
            looker.close()
            scrolling.close()
    for r in rows:
        for view in COLUMNS:
            shown = r["cells"][view]
            if shown and (view == "reader" or not r["moved_up"]) and shown not in REPORTED:
                failures.append(f"{r['name']} ({r['kind']}, {r['placement']}): {view} shows {shown}")
    seconds = round(time.monotonic() - started, 1)
    table = markdown(rows, seconds)
    if refused:
        table += f"\n\nRefused by the search, so not looked at: {', '.join(refused)}."
    print(table)
    if args.markdown:
        args.markdown.write_text(table)
    for f in failures:
        print(f"FAILED: {f}", file=sys.stderr)
    print(f"{len(rows) - len({f.split(' ')[0] for f in failures})} passed, "
          f"{len({f.split(' ')[0] for f in failures})} failed (real files; {seconds} s)")
    return 1 if failures or len(rows) < 20 else 0


def markdown(rows, seconds) -> str:
    date = time.strftime("%Y-%m-%d")
    lines = [f"Measured {date} by `tests/viewers/real_looks.py` ({seconds} s): {len(rows)} real files searched "
             f"with `-p {PREFIX}` and default options, each view of the output against the same view of the original.",
             "",
             "| view | the same | shows something | reported: only blank lines at the end (the suffix fills "
             "the screen), or vim's [noeol] gone | the suffix moved above the end (a gap) |",
             "|---|---|---|---|---|"]
    for view in COLUMNS + [SCROLLBAR, LINT]:
        applies = [r for r in rows if view != "chromium-rendered" or r["kind"] in PAGE_VIEWS]
        same = sum(1 for r in applies if not r["cells"][view])
        fills = [r["name"] for r in applies if r["cells"][view] in REPORTED and not r["moved_up"]]
        shown = [f"{r['name']}: {r['cells'][view]}" for r in applies
                 if r["cells"][view] and not r["moved_up"] and r["cells"][view] not in REPORTED]
        gaps = [f"{r['name']}: {r['cells'][view]}" for r in applies if r["cells"][view] and r["moved_up"]]
        label = {LINT: f"{view} (Debian's nanorc: a lint, reported)",
                 SCROLLBAR: f"{view} (scrollbars shown: reported)"}.get(view, view)
        if view == SCROLLBAR and shown:
            shown = [f"{len(shown)} files (a longer page has a shorter thumb)"]
        if view == LINT and shown:
            # It colours trailing blanks and the syntax of what scrolls: counted, not listed.
            coloured = sum(1 for s in shown if "coloured blanks" in s)
            shown = [f"{len(shown)} files ({coloured} with coloured blanks, the rest highlighted "
                     "differently where the screen starts)"]
        lines.append(f"| {label} | {same} of {len(applies)} | {'; '.join(shown) or 'none'} | "
                     f"{len(fills)}{': ' + ', '.join(fills) if fills else ''} | {'; '.join(gaps) or 'none'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
