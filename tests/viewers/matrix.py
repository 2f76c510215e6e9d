#!/usr/bin/env python3
"""The viewer matrix: which suffix symbols a person can see, measured with the programs people
look at files with. Nothing in it is asserted by hand: every cell compares what a real viewer
shows for a file with what it shows for the same file plus a suffix.

Viewers (what is compared):
  cat, less, vim --clean, nano   the terminal screen (for cat, with its scrollback) through
                                 tmux capture-pane, colours and
                                 reverse video included (Unicode format characters, which a
                                 terminal draws as nothing, left out); also left out: the viewer's own status
                                 lines (less's prompt, vim's message line, nano's title, status
                                 and help lines), blanks at line ends, and blank or end-of-file
                                 filler lines ('~') after the text
  chromium-plain                 headless Chromium's screenshot of the file served as
                                 text/plain; charset=utf-8 (a paste's raw view), pixel by pixel
  chromium-pre, chromium-body    the text inside an HTML page's <pre>, and inside its <body>
  chromium-html                  an HTML file served as text/html
  chromium-markdown              Markdown rendered by cmark-gfm (GitHub's renderer), in Chromium
  python-ast, json-value, toml-value, yaml-value
                                 the parsed meaning (ast.dump, json, tomllib, PyYAML)
  shell-run                      what sh and bash print, and their exit status
  markdown-html                  cmark-gfm's HTML, whitespace aside
Reported but not used to choose: nano with Debian's /etc/nanorc (its syntax colouring marks
trailing whitespace in .sh, .py, .json, .yaml and spaces before tabs elsewhere: a lint that no
whitespace suffix can pass), and what survives: git diff --check, git apply --whitespace=fix
and trim-trailing-whitespace on save (EditorConfig's rule, run in vim).
Lines wider than the screen, which nano marks with '>', are kept out by ghostsum itself
(src/line_fit.rs); the real searches below check that too.

The viewers themselves live beside it: terminal.py (tmux screens) and browser.py (Chromium
over DevTools, pixels, a local web server).

Usage (from the project root, after `cargo build --release`):
  tests/viewers/matrix.py --ghostsum target/release/ghostsum            # choose and check
  tests/viewers/matrix.py --ghostsum target/release/ghostsum --full \\
      --markdown matrix.md --json matrix.json                           # the README's table

The alphabets and each file kind's default come from `ghostsum alphabets --json`. For each kind
the script measures which symbols are invisible in every viewer that applies to it, picks the
largest set of one byte width (the narrower on a tie), checks a suffix holding every ordered
pair of its symbols, and runs a real `ghostsum search` on the kind's sample with no --alphabet.
Exit 1 when ghostsum's default for a kind is not the measured choice, or any check shows.
"""

import argparse
import ast
import concurrent.futures
import html
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import Chromium, Picture, Site, chromium_binary, missing_programs, png_pixels  # noqa: E402
from terminal import Tmux, screen_difference, visible_lines  # noqa: E402

HERE = Path(__file__).resolve().parent
SAMPLES = HERE / "samples"

SYMBOL_NAMES = {b" ": "space", b"\t": "tab", b"\n": "LF", b"\x0b": "VT", b"\x0c": "FF", b"\r": "CR"}

TERMINALS = ["cat", "less", "vim", "nano"]
# Lints: viewers that exist to reveal trailing whitespace, which no whitespace suffix can pass.
# Reported beside the matrix, not used to choose.
LINTS = ["nano-debian"]
SCREENS = TERMINALS + ["nano-debian"]
KIND_SAMPLE = {
    "text": "note.txt",
    "markdown": "readme.md",
    "html": "page.html",
    "shell": "script.sh",
    "python": "script.py",
    "json": "data.json",
    "toml": "config.toml",
    "yaml": "config.yaml",
}
# The viewers that apply to each kind of file. Everyone who edits, reviews or downloads a file
# sees its source, so the terminal viewers and a raw view apply to every kind.
KIND_VIEWERS = {
    "text": TERMINALS + ["chromium-plain", "chromium-pre", "chromium-body"],
    "markdown": TERMINALS + ["chromium-plain", "markdown-html", "chromium-markdown"],
    "html": TERMINALS + ["chromium-plain", "chromium-html"],
    "shell": TERMINALS + ["chromium-plain", "shell-run"],
    "python": TERMINALS + ["chromium-plain", "python-ast"],
    "json": TERMINALS + ["chromium-plain", "json-value"],
    "toml": TERMINALS + ["chromium-plain", "toml-value"],
    "yaml": TERMINALS + ["chromium-plain", "yaml-value"],
}
# The README table's columns, each with the sample it looks at.
MATRIX_COLUMNS = [
    ("cat", "text"), ("less", "text"), ("vim", "text"), ("nano", "text"),
    ("chromium-plain", "text"), ("chromium-pre", "text"), ("chromium-body", "text"),
    ("chromium-html", "html"), ("chromium-markdown", "markdown"), ("markdown-html", "markdown"),
    ("python-ast", "python"), ("json-value", "json"), ("shell-run", "shell"),
    ("toml-value", "toml"), ("yaml-value", "yaml"),
]
SURVIVAL_COLUMNS = ["git-diff-check", "git-apply-fix", "trim-on-save"]


def symbol_name(sym: bytes) -> str:
    if sym in SYMBOL_NAMES:
        return SYMBOL_NAMES[sym]
    try:
        text = sym.decode("utf-8")
        if len(text) == 1:
            return f"U+{ord(text):04X}"
    except UnicodeDecodeError:
        pass
    return sym.hex()


def pair_witness(symbols: list[bytes]) -> bytes:
    """Every ordered pair of symbols side by side (and each symbol first once): the contexts a
    real suffix can put them in."""
    out = []
    for a in symbols:
        for b in symbols:
            out += [a, b]
    return b"".join(out)


def variants(sample: bytes) -> list[tuple[str, bytes]]:
    """The sample as written (ending in a newline) and without its final newline, so the suffix
    also starts on a line of text."""
    return [("final newline", sample), ("no final newline", sample.rstrip(b"\n"))]


# ---------------------------------------------------------------------------- the looks

class Looker:
    """Renders a file for a viewer and says whether a suffix changes what it shows."""

    def __init__(self, work: Path):
        self.work = work
        self.tmux = Tmux()
        self.site = Site(work)
        self.chromium = Chromium()
        self.counter = 0
        self.lock = threading.Lock()
        self.cache = {}

    def close(self):
        self.tmux.close()
        self.chromium.close()
        self.site.shutdown()

    def case_dir(self) -> Path:
        with self.lock:
            self.counter += 1
            n = self.counter
        d = self.work / f"c{n}"
        (d / "raw").mkdir(parents=True)
        return d

    def render(self, viewer: str, kind: str, data: bytes, name: str | None = None):
        """What the viewer shows for data, in a form that compares: screen cells, pixels, a
        parsed value. Memoised: the original of each comparison is rendered once. The file is
        named `name`, else the kind's sample's name."""
        key = (viewer, kind, data, name)
        if key not in self.cache:
            self.cache[key] = self._render(viewer, kind, data, name or KIND_SAMPLE[kind])
        return self.cache[key]

    def _render(self, viewer: str, kind: str, data: bytes, name: str):
        d = self.case_dir()
        path = d / name
        path.write_bytes(data)
        if viewer in SCREENS or viewer.endswith("-end"):
            return visible_lines(self.tmux.screen(viewer, path), viewer)
        if viewer.startswith("chromium-"):
            text = data.decode("utf-8", errors="replace")
            page = "<!doctype html><meta charset=utf-8><title>x</title>"
            if viewer == "chromium-plain":
                (d / "raw" / name).write_bytes(data)
                url = f"{self.site.base}/{d.name}/raw/{name}"
            else:
                if viewer == "chromium-pre":
                    page += f"<pre>{html.escape(text)}</pre>"
                elif viewer == "chromium-body":
                    page += f"<body>{html.escape(text)}</body>"
                elif viewer == "chromium-markdown":
                    page += "<body>" + cmark(data).decode("utf-8") + "</body>"
                elif viewer == "chromium-html":
                    page = text
                (d / "page.html").write_text(page, encoding="utf-8")
                url = f"{self.site.base}/{d.name}/page.html"
            shot = d / "shot.png"
            try:
                shot.write_bytes(self.chromium.screenshot(url))
            except RuntimeError as e:
                return f"not shown: {e} (Chromium downloads text it takes for binary)"
            return Picture(shot)
        return meaning(viewer, path, data)

    def look(self, viewer: str, kind: str, original: bytes, suffixed: bytes) -> str | None:
        """None when the viewer shows the same; else a few words on what shows."""
        before = self.render(viewer, kind, original)
        after = self.render(viewer, kind, suffixed)
        if before == after:
            return None
        if viewer in SCREENS:
            return screen_difference(before, after)
        if viewer.startswith("chromium-"):
            if isinstance(after, str) or isinstance(before, str):
                return after if isinstance(after, str) else before
            w, h, a = png_pixels(before.path)
            w2, h2, b = png_pixels(after.path)
            if (w, h) != (w2, h2):
                return "a different picture size"
            bpp = len(a) // (w * h)
            differ = sum(1 for i in range(0, len(a), bpp) if a[i:i + bpp] != b[i:i + bpp])
            return f"{differ} pixels differ"
        return after if isinstance(after, str) and after.startswith("error") else "a different value"


def cmark(data: bytes) -> bytes:
    return subprocess.run(["cmark-gfm"], input=data, capture_output=True, check=True).stdout


def meaning(viewer: str, path: Path, data: bytes):
    """The parsed value of a file, or 'error: ...' (an error shows)."""
    try:
        if viewer == "python-ast":
            return ast.dump(ast.parse(data))
        if viewer == "json-value":
            return json.loads(data.decode("utf-8"))
        if viewer == "toml-value":
            return tomllib.loads(data.decode("utf-8"))
        if viewer == "yaml-value":
            import yaml
            return yaml.safe_load(data.decode("utf-8"))
        if viewer == "markdown-html":
            return re.sub(r"\s+", " ", cmark(data).decode("utf-8")).strip()
        if viewer == "shell-run":
            runs = []
            for shell in ("sh", "bash"):
                r = subprocess.run([shell, path.name], cwd=path.parent, capture_output=True, timeout=30)
                runs.append((shell, r.returncode, r.stdout, r.stderr))
            if any(r[1] != 0 or r[3] for r in runs):
                bad = next(r for r in runs if r[1] != 0 or r[3])
                return f"error: {bad[0]}: {bad[3].decode(errors='replace').strip().splitlines()[-1]}"
            return runs
    except Exception as e:  # the viewer's own complaint is what the person sees
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        return f"error: {type(e).__name__}: {first}"[:90]
    raise ValueError(viewer)


def survival(work: Path, original: bytes, suffixed: bytes) -> dict:
    """What the suffix becomes under git's and editors' whitespace rules."""
    d = Path(tempfile.mkdtemp(dir=work))
    env = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1",
               GIT_AUTHOR_NAME="m", GIT_AUTHOR_EMAIL="m@example", GIT_COMMITTER_NAME="m",
               GIT_COMMITTER_EMAIL="m@example")
    git = lambda *a, **k: subprocess.run(["git", *a], cwd=d, env=env, capture_output=True, **k)
    git("init", "-q")
    f = d / "note.txt"
    f.write_bytes(original)
    git("add", "note.txt")
    git("commit", "-q", "-m", "original")
    f.write_bytes(suffixed)
    out = {}
    check = git("diff", "--check")
    out["git-diff-check"] = None if check.returncode == 0 else "flagged"
    patch = git("diff", "--binary").stdout
    git("checkout", "-q", "note.txt")
    git("apply", "--whitespace=fix", input=patch)
    out["git-apply-fix"] = None if f.read_bytes() == suffixed else "changed"
    f.write_bytes(suffixed)
    # EditorConfig's trim_trailing_whitespace as vim applies it, and nothing else.
    subprocess.run(["vim", "--clean", "-es", "-c", "set nofixendofline", "-c", r"%s/\s\+$//e", "-c", "wq", str(f)],
                   capture_output=True, timeout=30)
    out["trim-on-save"] = None if f.read_bytes() == suffixed else "changed"
    return out


# ---------------------------------------------------------------------------- the runs

def sample(kind: str) -> bytes:
    return (SAMPLES / KIND_SAMPLE[kind]).read_bytes()


def ghostsum_alphabets(binary: str) -> dict:
    out = subprocess.run([binary, "alphabets", "--json"], capture_output=True, check=True, text=True).stdout
    table = json.loads(out)
    for a in table["alphabets"]:
        a["bytes"] = [bytes.fromhex(s) for s in a["symbols"]]
    return table


def symbols_label(symbols) -> str:
    return ", ".join(symbol_name(s) for s in symbols)


def first_showing(looker, kind, suffix, viewers) -> tuple[str, str] | None:
    for viewer in viewers:
        for variant, original in variants(sample(kind)):
            shown = looker.look(viewer, kind, original, original + suffix)
            if shown:
                return viewer, f"{shown} ({variant})"
    return None


def choose(looker, pool: list[bytes], pool_names: dict, pool_executor) -> dict:
    """Per kind: which symbols show where, and the largest invisible set of one width."""
    jobs = {(kind, sym): pool_executor.submit(first_showing, looker, kind, sym * 3, KIND_VIEWERS[kind])
            for kind in KIND_VIEWERS for sym in pool}
    choice = {}
    for kind in KIND_VIEWERS:
        shows = {sym: jobs[(kind, sym)].result() for sym in pool}
        invisible = [s for s in pool if shows[s] is None]
        by_width = {}
        for s in invisible:
            by_width.setdefault(len(s), []).append(s)
        best = max(by_width.values(), key=lambda group: (len(group), -len(group[0])), default=[])
        choice[kind] = {"shows": shows, "symbols": best}
    return choice


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ghostsum", required=True, help="the ghostsum binary to ask and run")
    parser.add_argument("--full", action="store_true", help="every named alphabet against every viewer")
    parser.add_argument("--markdown", type=Path, help="write the tables as Markdown here")
    parser.add_argument("--json", type=Path, help="write every measurement as JSON here")
    parser.add_argument("--jobs", type=int, default=6,
                        help="looks in parallel (default 6: most of a look is waiting for a screen to settle)")
    args = parser.parse_args()
    args.ghostsum = str(Path(args.ghostsum).resolve())

    missing = missing_programs(("tmux", "less", "vim", "nano", "cmark-gfm", "git", "bash"))
    try:
        import yaml  # noqa: F401
    except ImportError:
        missing.append("PyYAML (python3 -m pip install pyyaml)")
    if missing:
        print(f"matrix.py: missing {', '.join(missing)}; .ci/run installs them", file=sys.stderr)
        return 4

    table = ghostsum_alphabets(args.ghostsum)
    named = {a["name"]: a["bytes"] for a in table["alphabets"]}
    pool = []
    for symbols in named.values():
        pool += [s for s in symbols if s not in pool]
    pool_names = {s: symbol_name(s) for s in pool}
    # Kinds where a line is a record (CSV, TSV, JSON Lines): a suffix after the end, as
    # measured here, is a record or a field's value, so ghostsum places and proves theirs with
    # their reader alone (tests/real_files.rs).
    measured_kinds = [k for k in table["kinds"] if not k.get("line_records")]
    defaults = {k["kind"]: k["alphabet"] for k in measured_kinds}
    claimed_visible = {k["kind"]: {bytes.fromhex(h) for h in k["shows"]} for k in measured_kinds}
    if set(defaults) != set(KIND_VIEWERS):
        print(f"matrix.py: ghostsum's kinds {sorted(defaults)} are not the matrix's {sorted(KIND_VIEWERS)}",
              file=sys.stderr)
        return 1

    started = time.monotonic()
    failures = []
    report = {"date": time.strftime("%Y-%m-%d"), "versions": versions(args.ghostsum)}
    with tempfile.TemporaryDirectory(prefix="ghostsum-matrix-") as tmp, \
            concurrent.futures.ThreadPoolExecutor(args.jobs) as pool_executor:
        work = Path(tmp)
        looker = Looker(work)
        try:
            choice = choose(looker, pool, pool_names, pool_executor)
            def row(kind):
                c = choice[kind]
                measured = c["symbols"]
                witness = first_showing(looker, kind, pair_witness(measured), KIND_VIEWERS[kind]) if measured else None
                real = real_search(looker, args.ghostsum, kind, work)
                lint = first_showing(looker, kind, pair_witness(measured), LINTS) if measured else None
                excluded = {pool_names[s]: f"{v[0]}: {v[1]}" for s, v in c["shows"].items() if v}
                return {"kind": kind, "measured": [pool_names[s] for s in measured],
                        "default": defaults[kind], "agree": sorted(named[defaults[kind]]) == sorted(measured),
                        "pairs_show": witness and f"{witness[0]}: {witness[1]}",
                        "real_search_shows": real, "excluded": excluded,
                        "lint": lint and f"{lint[0]}: {lint[1]}"}
            rows = list(pool_executor.map(row, choice))
            for r in rows:
                kind, measured = r["kind"], choice[r["kind"]]["symbols"]
                measured_visible = {s for s, v in choice[kind]["shows"].items() if v}
                if measured_visible != claimed_visible[kind]:
                    failures.append(f"{kind}: verify --strict calls {symbols_label(sorted(claimed_visible[kind]))} visible, "
                                    f"the matrix measured {symbols_label(sorted(measured_visible))}")
                if not r["agree"]:
                    failures.append(f"{kind}: ghostsum's default {r['default']} ({symbols_label(named[r['default']])}) "
                                    f"is not the measured choice ({symbols_label(measured)})")
                if r["pairs_show"]:
                    failures.append(f"{kind}: a suffix of every pair of {symbols_label(measured)} shows in {r['pairs_show']}")
                if r["real_search_shows"]:
                    failures.append(f"{kind}: ghostsum search's default output {r['real_search_shows']}")
            report["choice"] = rows
            if args.full:
                report["matrix"] = full_matrix(looker, named, pool_executor)
                report["survival"] = {name: survival(work, sample("text"), sample("text") + pair_witness(symbols))
                                      for name, symbols in named.items()}
        finally:
            looker.close()
    report["seconds"] = round(time.monotonic() - started, 1)
    text = markdown(report, named, defaults)
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
    for f in failures:
        print(f"FAILED: {f}", file=sys.stderr)
    print(f"matrix: {len(KIND_VIEWERS) - len({f.split(':')[0] for f in failures})} passed, "
          f"{len({f.split(':')[0] for f in failures})} failed (kinds; {report['seconds']} s)")
    return 1 if failures else 0


def real_search(looker, binary, kind, work) -> str | None:
    """Runs `ghostsum search` on the kind's sample with no --alphabet and looks at the output in
    every viewer of the kind; also checks that --json names the kind and its alphabet."""
    for variant, original in variants(sample(kind)):
        d = Path(tempfile.mkdtemp(dir=work))
        src = d / KIND_SAMPLE[kind]
        src.write_bytes(original)
        out = d / ("out-" + KIND_SAMPLE[kind])
        r = subprocess.run([binary, "search", str(src), "-p", "c0de", "-q", "--json", "-o", str(out)],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            return f"failed: {r.stderr.strip()}"
        js = json.loads(r.stdout)
        if js.get("for") != kind:
            return f'reported "for": {js.get("for")!r}, not {kind!r}'
        data = out.read_bytes()
        at, added = js.get("inserted_at"), len(data) - len(original)
        if at is None or added <= 0 or data[:at] + data[at + added:] != original:
            return "is not the input with a suffix inserted where --json says"
        if original.endswith(b"\n") and not data.endswith(b"\n"):
            return "no longer ends in a line break"
        for viewer in KIND_VIEWERS[kind]:
            shown = looker.look(viewer, kind, original, data)
            if shown:
                return f"shows in {viewer}: {shown} ({variant})"
    return None


def full_matrix(looker, named, pool_executor) -> dict:
    """Every named alphabet against every column; where one shows, which of its symbols do."""
    def cell(name, viewer, kind):
        symbols = named[name]
        shown = first_showing(looker, kind, pair_witness(symbols), [viewer])
        if not shown:
            return None
        culprits = []
        for s in symbols:
            alone = first_showing(looker, kind, s * 3, [viewer])
            if alone:
                culprits.append(f"{symbol_name(s)}: {short(alone[1])}")
        return "; ".join(culprits) or f"the mix: {short(shown[1])}"
    jobs = {(name, viewer): pool_executor.submit(cell, name, viewer, kind)
            for name in named for viewer, kind in MATRIX_COLUMNS}
    return {name: {viewer: jobs[(name, viewer)].result() for viewer, _ in MATRIX_COLUMNS} for name in named}


def short(shown: str) -> str:
    """What shows, in a few words for a table cell."""
    shown = re.sub(r" \((no )?final newline\)$", "", shown)
    m = re.match(r'"(.*)" on line \d+$', shown)
    if m:
        return f"`{m.group(1)[:12]}`"
    if "Chromium downloads" in shown:
        return "downloaded, not shown"
    m = re.match(r"(\d+) pixels differ", shown)
    if m:
        return f"{m.group(1)} px"
    m = re.match(r"error: (\w+)", shown)
    if m:
        return m.group(1) if m.group(1) != "sh" else "not found"
    return shown


def versions(binary) -> dict:
    def first_line(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except Exception:
            return "?"
    import yaml
    return {
        "ghostsum": first_line([binary, "--version"]),
        "chromium": first_line([chromium_binary(), "--version"]),
        "less": first_line(["less", "--version"]),
        "vim": first_line(["vim", "--version"]),
        "nano": first_line(["nano", "--version"]),
        "tmux": first_line(["tmux", "-V"]),
        "cmark-gfm": first_line(["cmark-gfm", "--version"]),
        "git": first_line(["git", "--version"]),
        "python": sys.version.split()[0],
        "pyyaml": yaml.__version__,
    }


def markdown(report, named, defaults) -> str:
    v = report["versions"]
    lines = [f"Measured {report['date']} by `tests/viewers/matrix.py` ({report['seconds']} s): "
             + ", ".join(f"{k} {val}" for k, val in v.items()) + ".", ""]
    if "matrix" in report:
        head = [c for c, _ in MATRIX_COLUMNS] + SURVIVAL_COLUMNS
        lines += ["| alphabet | " + " | ".join(head) + " |", "|---" * (len(head) + 1) + "|"]
        for name, row in report["matrix"].items():
            cellv = [("invisible" if row[c] is None else "**shows** " + row[c]) for c, _ in MATRIX_COLUMNS]
            cellv += [("kept" if report["survival"][name][c] is None else report["survival"][name][c])
                      for c in SURVIVAL_COLUMNS]
            lines.append(f"| `{name}` ({symbols_label(named[name])}) | " + " | ".join(cellv) + " |")
        lines.append("")
    lines += ["| kind | measured: invisible in all its viewers | ghostsum's default | symbols left out, and the first viewer that shows each | Debian's nano (whitespace lint) |",
              "|---|---|---|---|---|"]
    for row in report["choice"]:
        mark = "" if row["agree"] and not row["pairs_show"] and not row["real_search_shows"] else " **(FAILED)**"
        excluded = "; ".join(f"{s} ({why.split(':')[0]}: {short(why.split(': ', 1)[1])})"
                             for s, why in row["excluded"].items())
        lint = f"{short(row['lint'].split(': ', 1)[1])}" if row["lint"] else "nothing shows"
        lines.append(f"| {row['kind']} | {', '.join(row['measured'])} | `{row['default']}`{mark} | {excluded} | {lint} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
