#!/usr/bin/env python3
"""End to end, as a reader would meet the pages: the adventure example built by
`ghostsum batch`, published with examples/web/publish.sh, served by a real nginx with
examples/web/nginx.conf, and walked in headless Chromium from the start page, following every
link of every page. Checks: every link resolves; every served page's MD5 (hashlib) starts with
the prefix in its address; the links close a cycle back to the start; every page looks, pixel
for pixel, like its text without the suffix. Also: a Markdown page's {{url:...}} links stay
links when cmark-gfm renders the page.

  tests/viewers/walk.py --ghostsum target/release/ghostsum

Exit 0 when all hold, 1 when one fails, 4 when nginx, chromium or cmark-gfm is missing.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import Chromium, Picture, Site, missing_programs  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_binary() -> str | None:
    for candidate in ("nginx", "/usr/sbin/nginx"):
        if shutil.which(candidate):
            return shutil.which(candidate)
    return None


class Nginx:
    """nginx with the repository's config on a free loopback port, under `prefix`."""

    def __init__(self, prefix: Path, port: int):
        for d in ("logs", "tmp", "conf"):
            (prefix / d).mkdir(exist_ok=True)
        conf = (ROOT / "examples/web/nginx.conf").read_text()
        if "listen 127.0.0.1:8080;" not in conf:
            raise RuntimeError("examples/web/nginx.conf no longer listens on 127.0.0.1:8080")
        conf_path = prefix / "conf/nginx.conf"
        conf_path.write_text(conf.replace("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{port};"))
        cmd = [nginx_binary(), "-p", str(prefix), "-c", str(conf_path)]
        test = subprocess.run(cmd + ["-t"], capture_output=True, text=True)
        if test.returncode != 0:
            raise RuntimeError(f"nginx -t: {test.stderr}")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/", timeout=2)
            except urllib.error.HTTPError:
                return  # a 404 from nginx: it is up
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"nginx exited: {self.proc.stderr.read()}")
                time.sleep(0.1)
        raise RuntimeError("nginx did not answer within 20 s")

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def walk_adventure(ghostsum: str, work: Path, chromium: Chromium, alphabet: str | None) -> list[str]:
    failures = []
    port = free_port()
    book = work / "adventure"
    shutil.copytree(ROOT / "examples/adventure", book)
    manifest = book / "adventure.toml"
    text = manifest.read_text()
    assert 'url = "https://paste.example/{prefix}"' in text
    manifest.write_text(text.replace("https://paste.example/{prefix}", f"http://127.0.0.1:{port}/{{prefix}}"))
    extra = ["--alphabet", alphabet] if alphabet else []
    run([ghostsum, "batch", str(manifest), "--out-dir", "out", "-b", "cpu", "-q", *extra], cwd=work)
    report = json.loads((work / "out/ghostsum-report.json").read_text())
    run(["sh", str(ROOT / "examples/web/publish.sh"), "out/ghostsum-report.json", "site"], cwd=work)
    os.chmod(work, 0o755)  # nginx's workers run as another user
    server = Nginx(work, port)
    # The texts without their suffix, served as nginx serves the pages (text/plain, UTF-8).
    unsuffixed = Site(work)
    try:
        start = next(p for p in report["pages"] if p["name"] == "start")
        pages = {p["prefix"]: p for p in report["pages"]}
        to_visit = [f"{server.base}/{start['prefix']}"]
        seen, links_to = set(), {}
        link_pattern = re.compile(re.escape(server.base) + r"/[0-9a-f]+")
        while to_visit:
            url = to_visit.pop(0)
            if url in seen:
                continue
            seen.add(url)
            prefix = url.rsplit("/", 1)[1]
            try:
                served = urllib.request.urlopen(url, timeout=10).read()
            except urllib.error.HTTPError as e:
                failures.append(f"{url}: HTTP {e.code}")
                continue
            md5 = hashlib.md5(served).hexdigest()
            if not md5.startswith(prefix):
                failures.append(f"{url}: served bytes have MD5 {md5}")
            try:
                chromium.load(url)
            except RuntimeError as e:
                failures.append(f"{url}: {e} (Chromium downloads text it takes for binary)")
                continue
            shown = chromium.evaluate("document.body.innerText")
            links = link_pattern.findall(shown)
            links_to[url] = links
            to_visit += links
            # The page as a reader sees it, against its text without the suffix.
            page = pages.get(prefix)
            if page is None:
                failures.append(f"{url}: no page of the manifest has prefix {prefix}")
                continue
            cut = len(served) - page["suffix_len"]  # one byte a symbol (every whitespace alphabet)
            (work / "raw").mkdir(exist_ok=True)
            (work / "raw" / prefix).write_bytes(served[:cut])
            with_suffix = work / f"{prefix}.png"
            without = work / f"{prefix}.nosuffix.png"
            with_suffix.write_bytes(chromium.screenshot(url))
            without.write_bytes(chromium.screenshot(f"{unsuffixed.base}/raw/{prefix}"))
            if Picture(with_suffix) != Picture(without):
                failures.append(f"{url}: the page's pixels differ from its text without the suffix")
        if len(seen) != len(report["pages"]):
            failures.append(f"the walk reached {len(seen)} pages of {len(report['pages'])}")
        start_url = f"{server.base}/{start['prefix']}"
        if not any(start_url in links for url, links in links_to.items() if url != start_url):
            failures.append("no page links back to the start: the cycle does not close")
        print(f"walked {len(seen)} pages on nginx: " + ", ".join(
            f"{p['name']}=/{p['prefix']} ({p['alphabet']}, suffix {p['suffix_len']})" for p in report["pages"]))
    finally:
        server.close()
        unsuffixed.shutdown()
    return failures


def markdown_links(ghostsum: str, work: Path) -> list[str]:
    """{{url:...}} in a Markdown page stays a link once cmark-gfm renders the searched page."""
    d = work / "md"
    d.mkdir()
    (d / "a.md").write_text("# Page A\n\nGo to <{{url:b}}>, or see [this page]({{url:a}}).\n")
    (d / "b.md").write_text("# Page B\n\nBack to {{url:a}}\n")
    (d / "m.toml").write_text('url = "https://paste.example/{prefix}"\ndigits = 4\n\n'
                              '[[page]]\nname = "a"\nfile = "a.md"\n\n[[page]]\nname = "b"\nfile = "b.md"\n')
    run([ghostsum, "batch", str(d / "m.toml"), "--out-dir", str(d / "out"), "-b", "cpu", "-q"])
    report = json.loads((d / "out/ghostsum-report.json").read_text())
    address = {p["name"]: p["address"] for p in report["pages"]}
    failures = []
    for page, wanted in (("a", ["b", "a"]), ("b", ["a"])):
        data = (d / "out" / f"{page}.md").read_bytes()
        html = subprocess.run(["cmark-gfm", "--extension", "autolink"], input=data, capture_output=True).stdout.decode()
        for target in wanted:
            if f'href="{address[target]}"' not in html:
                failures.append(f"{page}.md: the link to {target} ({address[target]}) is not a link once rendered")
        kinds = {p["name"]: (p["for"], p["alphabet"]) for p in report["pages"]}
        if kinds[page] != ("markdown", "space-tab-lf"):
            failures.append(f"{page}.md was searched as {kinds[page]}")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ghostsum", required=True)
    parser.add_argument("--alphabet", help="pass --alphabet to the adventure's batch (to see the walk fail with whitespace)")
    args = parser.parse_args()
    args.ghostsum = str(Path(args.ghostsum).resolve())
    missing = ([] if nginx_binary() else ["nginx"]) + missing_programs(("cmark-gfm",))
    if missing:
        print(f"walk.py: missing {', '.join(missing)}; .ci/run installs them", file=sys.stderr)
        return 4
    with tempfile.TemporaryDirectory(prefix="ghostsum-walk-") as tmp:
        work = Path(tmp)
        chromium = Chromium()
        try:
            failures = walk_adventure(args.ghostsum, work, chromium, args.alphabet) + markdown_links(args.ghostsum, work)
        finally:
            chromium.close()
    for f in failures:
        print(f"FAILED: {f}", file=sys.stderr)
    print(f"walk: {0 if failures else 1} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
