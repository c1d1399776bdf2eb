"""The rendered book, checked as a reader sees it: headless Chromium over every page in ``_toc.yml``.

For each page: it loads with no console or JavaScript errors, every ``<img>`` has loaded, the math is
typeset by MathJax (no raw TeX left in the text, no MathJax error boxes), every link inside the site
resolves (anchors included), chapter pages carry working Colab/Binder launch links, and a full-page
screenshot lands in ``_build/screenshots/``. The landing page's sidebar must lead to every chapter.

How it runs (``pytest -m browser tests/test_book_browser.py`` runs only these):

* The book is ``_build/html``, as ``make book`` leaves it. When ``_build/html/index.html`` or a page's
  HTML is missing, or older than any source of the book (``book/``, ``_toc.yml``, ``_config.yml``,
  ``references.bib``, the package sources that chapters ``literalinclude``), the test first runs
  ``jupyter-book build . -W --keep-going`` itself: from the stored outputs, nothing is re-executed.
  So the test is self-sufficient on a fresh clone, and a warning in the build fails it.
* The site is served by ``http.server`` in a thread on 127.0.0.1 (a free port).
* The browser is the system's Chromium (Debian's ``chromium``, or ``$SRGAN_LITE_CHROMIUM``) driven by
  Playwright from PyPI; Playwright's own browser downloads are never used.
* There is no internet here. What the pages fetch from CDNs (MathJax 3 from cdn.jsdelivr.net; require.js
  from cdnjs and the widget manager when a chapter stores widgets) is answered from the same npm
  packages, fetched once with ``npm pack`` into ``.venv/browser-assets`` (``$SRGAN_LITE_BROWSER_ASSETS``).
  The published book still loads them from the CDNs. Any other request that leaves 127.0.0.1 is
  refused and reported: a page must not depend on something this test cannot check.

Without Chromium, Playwright or npm the tests skip with a one-line reason; ``SRGAN_LITE_REQUIRE_BROWSER=1``
(which ``.ci/run`` sets) turns those skips into failures.
"""
from __future__ import annotations

import functools
import json
import mimetypes
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin

import pytest
import yaml

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
ASSETS = Path(os.environ.get("SRGAN_LITE_BROWSER_ASSETS", ROOT / ".venv" / "browser-assets"))
REPOSITORY = "srgan-lite/srgan-lite"  # _config.yml's repository.url, as Colab and Binder spell it
CHROMIUM_FLAGS = [  # what works on these machines: no sandbox as root, no background traffic
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}  # wide enough for the sidebar to show
TIMEOUT_MS = 120_000  # per navigation / wait; pages take a few seconds, a busy 2-core machine much longer
#: The first code cell of every chapter: the Colab button opens the bare notebook, without the package.
COLAB_INSTALL_CELL = f"""\
# On Colab only. Today srgan-lite is not yet published at github.com/{REPOSITORY}, so this install
# fails there; from a clone, `make book` or `make test` has set everything up and this cell does nothing.
import sys

if "google.colab" in sys.modules:
    import subprocess

    package = "srgan-lite @ git+https://github.com/{REPOSITORY}"
    if subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", package]).returncode != 0:
        raise SystemExit("srgan-lite could not be installed from github.com/{REPOSITORY} (not published there "
                         "yet): run the chapters from a clone (`make book` or `make test`, see the README).")
"""


def _unavailable(reason: str):
    """Skip (a developer machine without a browser) or, under SRGAN_LITE_REQUIRE_BROWSER=1, fail."""
    if os.environ.get("SRGAN_LITE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (SRGAN_LITE_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------- the table of contents
def toc_pages() -> list[str]:
    """Every document in _toc.yml, root first, as Sphinx docnames ("book/intro")."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages: list[str] = []

    def add(name: str) -> None:
        name = re.sub(r"\.(ipynb|md|rst)$", "", name.strip("/"))
        if name not in pages:
            pages.append(name)

    def walk(entries) -> None:
        for entry in entries or []:
            if "file" in entry:
                add(entry["file"])
            if "glob" in entry:
                for path in sorted(ROOT.glob(entry["glob"])):
                    if path.suffix in (".ipynb", ".md", ".rst"):
                        add(path.relative_to(ROOT).as_posix())
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    add(toc["root"])
    walk(toc.get("parts"))
    walk(toc.get("chapters"))
    walk(toc.get("sections"))
    return pages


def chapter_pages() -> list[str]:
    """The top-level entries under the parts (or chapters) of _toc.yml: what the sidebar always shows."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    entries = [c for part in toc.get("parts") or [] for c in part.get("chapters") or []]
    entries += toc.get("chapters") or []
    return [re.sub(r"\.(ipynb|md|rst)$", "", e["file"]) for e in entries if "file" in e]


def source_of(doc: str) -> Path | None:
    for suffix in (".ipynb", ".md", ".rst"):
        if (ROOT / f"{doc}{suffix}").is_file():
            return ROOT / f"{doc}{suffix}"
    return None


PAGES = toc_pages()


# --------------------------------------------------------------------------- the built site
def _book_sources() -> list[Path]:
    files = [ROOT / "_toc.yml", ROOT / "_config.yml", ROOT / "references.bib"]
    for folder in (ROOT / "book", ROOT / "srgan_lite"):
        files += [p for p in folder.rglob("*") if p.is_file() and not {"_build", ".ipynb_checkpoints", "__pycache__"} & set(p.parts)]
    return [p for p in files if p.exists()]


def _html_is_stale() -> str | None:
    index = HTML / "index.html"
    if not index.is_file():
        return f"{index.relative_to(ROOT)} is missing"
    for doc in PAGES:
        if not (HTML / f"{doc}.html").is_file():
            return f"_build/html/{doc}.html is missing"
    built = index.stat().st_mtime
    newer = [p for p in _book_sources() if p.stat().st_mtime > built]
    if newer:
        return f"{newer[0].relative_to(ROOT)} is newer than _build/html/index.html"
    return None


@pytest.fixture(scope="session")
def built_book() -> Path:
    """_build/html, rebuilt with `jupyter-book build . -W --keep-going` when missing or stale."""
    reason = _html_is_stale()
    if reason:
        jupyter_book = Path(sys.executable).with_name("jupyter-book")
        command = [str(jupyter_book) if jupyter_book.exists() else (shutil.which("jupyter-book") or "jupyter-book"),
                   "build", str(ROOT), "-W", "--keep-going"]
        print(f"building the book ({reason}): {' '.join(command)}", file=sys.stderr)
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800)
        if result.returncode != 0:
            pytest.fail(f"`{' '.join(command)}` failed ({reason}):\n{(result.stdout + result.stderr)[-6000:]}",
                        pytrace=False)
        # A successful build leaves index.html untouched when nothing in it changed: mark the build time.
        os.utime(HTML / "index.html")
    return HTML


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # a browser dropping a request it no longer needs
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def site(built_book: Path):
    """The built book on http://127.0.0.1:<free port>/, served from a thread."""
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="book-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- CDN files, from npm
NPM_CDNS = ("https://cdn.jsdelivr.net/npm/", "https://unpkg.com/")
REQUIREJS_CDN = re.compile(r"https://cdnjs\.cloudflare\.com/ajax/libs/require\.js/([^/]+)/require(?:\.min)?\.js$")
NPM_URL_PATH = re.compile(r"((?:@[^/@]+/)?[^/@]+)(?:@([^/]+))?(/.*)?$")
mimetypes.add_type("font/woff", ".woff")
mimetypes.add_type("font/woff2", ".woff2")
mimetypes.add_type("text/javascript", ".js")


class NpmCdn:
    """Answers CDN URLs (jsdelivr's and unpkg's /npm/<package>@<version>/<file>, cdnjs's require.js)
    from the same npm packages, fetched with `npm pack` (tarball only, no dependencies) into a cache."""

    def __init__(self, cache: Path, npm: str):
        self.cache, self.npm = cache, npm
        self.lock = threading.Lock()

    def package(self, name: str, spec: str) -> Path:
        target = self.cache / f"{name.replace('/', '+')}@{spec}"
        with self.lock:
            if (target / "package.json").is_file():
                return target
            self.cache.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=self.cache) as tmp:
                result = subprocess.run([self.npm, "pack", f"{name}@{spec}", "--pack-destination", tmp, "--silent"],
                                        cwd=tmp, capture_output=True, text=True, timeout=300)
                tarballs = list(Path(tmp).glob("*.tgz"))
                if result.returncode != 0 or not tarballs:
                    raise RuntimeError(f"`npm pack {name}@{spec}` failed: {(result.stdout + result.stderr).strip()[-500:]}")
                unpacked = Path(tmp) / "unpacked"
                with tarfile.open(tarballs[0]) as tar:
                    if hasattr(tarfile, "data_filter"):
                        tar.extractall(unpacked, filter="data")
                    else:  # Python < 3.10.12 / 3.11.4
                        tar.extractall(unpacked)
                (top,) = list(unpacked.iterdir())  # "package/" in npm tarballs
                shutil.rmtree(target, ignore_errors=True)
                os.replace(top, target)
        return target

    def resolve(self, url: str) -> Path | None:
        """The local file for a CDN URL, or None when the URL is not one this class knows."""
        url = urldefrag(url)[0].split("?")[0]
        match = REQUIREJS_CDN.match(url)
        if match:
            return self.package("requirejs", match[1]) / "require.js"  # the npm package has no .min
        for base in NPM_CDNS:
            if url.startswith(base):
                match = NPM_URL_PATH.match(unquote(url[len(base):]))
                if not match or not match[3] or match[3] == "/":
                    return None
                return self.package(match[1], match[2] or "latest") / match[3].lstrip("/")
        return None


def without_cdn_integrity(html: str) -> str:
    """The page without the `integrity` (SRI) hashes of the CDN scripts that NpmCdn serves: its npm copies are
    the same code, not always the same bytes (cdnjs minifies require.js itself; npm ships it unminified)."""
    def strip(tag: re.Match) -> str:
        src = re.search(r'\bsrc="([^"]+)"', tag[0])
        if src and (src[1].startswith(NPM_CDNS) or REQUIREJS_CDN.match(src[1])):
            return re.sub(r'\s+integrity="[^"]*"', "", tag[0])
        return tag[0]
    return re.sub(r"<script\b[^>]*>", strip, html)


@pytest.fixture(scope="session")
def cdn(built_book: Path) -> NpmCdn:
    """The npm-backed CDN, with every CDN script the built pages name already fetched."""
    npm = shutil.which("npm")
    urls = sorted({u for doc in PAGES for u in re.findall(r'src="(https://[^"]+)"', (built_book / f"{doc}.html").read_text(encoding="utf-8"))
                   if u.startswith(NPM_CDNS) or REQUIREJS_CDN.match(u)})
    if not npm:
        if urls:
            _unavailable(f"npm not found: it fetches what the pages load from CDNs ({', '.join(urls)})")
        return NpmCdn(ASSETS, "npm")
    cdn = NpmCdn(ASSETS, npm)
    for url in urls:
        try:
            path = cdn.resolve(url)
        except RuntimeError as error:  # no registry: a developer machine offline
            _unavailable(f"cannot serve {url} locally: {error}")
        assert path is not None and path.is_file(), f"{url}: the npm package has no such file ({path})"
    return cdn


# --------------------------------------------------------------------------- the browser
@pytest.fixture(scope="session")
def browser():
    chromium = os.environ.get("SRGAN_LITE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        _unavailable("Chromium not found (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright not installed (pip install -r requirements.txt)")
    playwright = sync_playwright().start()
    try:
        # launch() gives Chromium a fresh, temporary --user-data-dir of its own.
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
    except Exception as error:  # noqa: BLE001 - Playwright's launch errors carry the browser's log
        playwright.stop()
        _unavailable(f"Chromium at {chromium} did not start: {str(error).splitlines()[0]}")
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


class Reader:
    """One browser tab on the site, recording what a reader would see go wrong."""

    def __init__(self, browser, site: str, cdn: NpmCdn | None):
        self.site, self.cdn = site, cdn  # cdn None: refuse every off-site request, silently (a fast reader)
        self.context = browser.new_context(viewport=VIEWPORT, service_workers="block")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"JavaScript error: {error}"))
        self.page.on("response", self._response)
        self.page.on("requestfailed", lambda request: self.problems.append(f"request failed: {request.url} ({request.failure})"))
        self.context.route("**/*", self._route)

    def _console(self, message) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if isinstance(message.location, dict) else ""
            self.problems.append(f"console error: {message.text}" + (f" [{where}]" if where else ""))

    def _response(self, response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def _route(self, route) -> None:
        try:
            self._answer(route)
        except Exception as error:  # noqa: BLE001 - a request cancelled by a navigation cannot be answered
            if "closed" not in str(error).lower() and "handled" not in str(error).lower():
                self.problems.append(f"answering {route.request.url}: {error}")

    def _answer(self, route) -> None:
        url = route.request.url
        if url.startswith(self.site) and self.cdn is not None and route.request.resource_type == "document":
            response = route.fetch()  # a page: drop the integrity hashes of the CDN scripts served from npm
            route.fulfill(response=response, body=without_cdn_integrity(response.text()))
            return
        if url.startswith(self.site) or not url.startswith(("http://", "https://")):
            route.continue_()
            return
        if self.cdn is None:
            route.abort("blockedbyclient")
            return
        try:
            path = self.cdn.resolve(url)
        except RuntimeError as error:
            path, why = None, str(error)
        else:
            why = "not a CDN file this test knows how to serve locally (see NpmCdn)"
        if path is not None and path.is_file():
            route.fulfill(path=str(path), status=200, content_type=mimetypes.guess_type(str(path))[0] or "application/octet-stream",
                          headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "max-age=3600"})
        else:
            self.problems.append(f"page fetches {url} from the internet: {why if path is None else f'{path} missing'}")
            route.abort("blockedbyclient")

    def settle(self) -> None:
        """Wait until a reader would see the page finished: MathJax done, web fonts loaded."""
        if self.cdn is not None and self.page.query_selector("script[src*='mathjax' i]"):
            self.page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
            self.page.evaluate("() => MathJax.startup.promise.then(() => true)")
        self.page.evaluate("() => document.fonts.ready.then(() => true)")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def reader(browser, site, cdn):  # browser first: without one, skip before building the book
    reader = Reader(browser, site, cdn)
    try:
        yield reader
    finally:
        reader.close()


# --------------------------------------------------------------------------- page checks
WAIT_FOR_IMAGES = """async () => {
  const images = [...document.images];
  for (const img of images) if (img.loading === 'lazy') img.loading = 'eager';
  const settled = images.map(img => img.complete ? null :
      new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); }));
  await Promise.race([Promise.all(settled), new Promise(done => setTimeout(done, 60000))]);
  return images.map(img => ({src: img.currentSrc || img.src || img.outerHTML.slice(0, 120),
                             loaded: img.complete && img.naturalWidth > 0}));
}"""

MATH_REPORT = r"""() => {
  const maths = [...document.querySelectorAll('span.math, div.math')];
  const untypeset = maths.filter(el => !el.querySelector('mjx-container'))
                         .map(el => el.textContent.trim().slice(0, 80));
  const errors = [...document.querySelectorAll('mjx-merror')]
      .map(el => el.getAttribute('data-mjx-error') || el.textContent.slice(0, 80));
  // Raw TeX left in the text a reader sees (code is allowed to contain TeX).
  const skip = 'pre, code, script, style, textarea, noscript, mjx-container, .highlight, .MathJax';
  const tex = /\$\$|\\begin\{|\\end\{|\\\(|\\\[|\$[^$\n]{0,200}?\\[A-Za-z]+[^$\n]{0,200}?\$/;
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    const match = node.nodeValue.match(tex);
    if (match) raw.push(node.nodeValue.slice(Math.max(0, match.index - 30), match.index + 60).replace(/\s+/g, ' '));
  }
  return {count: maths.length, typeset: document.querySelectorAll('mjx-container').length,
          mathjax: !!window.MathJax, untypeset, errors, raw};
}"""

# Code cells whose top-level print(...) / plt.show() / display(...) shows nothing: a chapter saved
# without running it (cells tagged remove-output are meant to show nothing).
SILENT_CELLS = r"""() => [...document.querySelectorAll('div.cell')]
    .filter(cell => !/\btag_remove-(output|cell)\b/.test(cell.className))
    .filter(cell => {
      const input = cell.querySelector('.cell_input');
      return input && /^(print|display)\(|^plt\.show\(\)/m.test(input.textContent)
             && !cell.querySelector('.cell_output');
    })
    .map(cell => (cell.querySelector('.cell_input').textContent.split('\n')
                  .find(line => line.trim() && !line.trim().startsWith('#')) || '').trim().slice(0, 70))"""

LINKS = """() => [...document.querySelectorAll('a[href], area[href]')]
    .map(a => ({href: a.href, raw: a.getAttribute('href'), text: (a.textContent || '').trim().slice(0, 60)}))"""


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value or "")


@functools.lru_cache(maxsize=None)
def _fetch(url: str) -> tuple[int, str, str]:
    """(status, content type, text if HTML) for a URL on the local site."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            kind = response.headers.get_content_type()
            body = response.read().decode("utf-8", "replace") if kind == "text/html" else ""
            return response.status, kind, body
    except urllib.error.HTTPError as error:
        return error.code, "", ""


@functools.lru_cache(maxsize=None)
def _ids(url: str) -> frozenset[str]:
    parser = _Ids()
    parser.feed(_fetch(url)[2])
    return frozenset(parser.ids)


def check_links(site: str, links: list[dict]) -> list[str]:
    """Every link that stays on the site resolves, and its #anchor exists on the target page."""
    problems = []
    for link in links:
        href = link["href"]
        if not href.startswith(site):
            continue  # external (no internet here), mailto:, javascript:
        target, fragment = urldefrag(href)
        target = target.split("?")[0]
        status, kind, _ = _fetch(target)
        label = f"link {link['raw']!r} ({link['text']!r})"
        if status != 200:
            problems.append(f"{label} -> HTTP {status}")
        elif fragment and kind == "text/html" and unquote(fragment) not in _ids(target):
            problems.append(f"{label} -> no id {unquote(fragment)!r} on {target[len(site):]}")
    return problems


@pytest.mark.parametrize("doc", PAGES)
def test_page_renders(doc: str, reader: Reader):
    site = reader.site
    url = urljoin(site, f"{doc}.html")
    page = reader.page
    page.goto(url, wait_until="load")
    problems = reader.problems

    for image in page.evaluate(WAIT_FOR_IMAGES):
        if not image["loaded"]:
            problems.append(f"image did not load: {image['src']}")

    reader.settle()
    math = page.evaluate(MATH_REPORT)
    if math["count"] and not math["mathjax"]:
        problems.append(f"{math['count']} math elements but MathJax is not on the page")
    problems += [f"math not typeset: {tex!r}" for tex in math["untypeset"]]
    problems += [f"MathJax error: {error!r}" for error in math["errors"]]
    problems += [f"raw TeX in the text: {text!r}" for text in math["raw"]]

    problems += check_links(site, page.evaluate(LINKS))

    silent = page.evaluate(SILENT_CELLS)
    if silent:
        problems.append(f"{len(silent)} code cells print or plot but show no stored output (saved without running?); "
                        f"the first begins {silent[0]!r}")

    source = source_of(doc)
    if source is not None and source.suffix == ".ipynb":
        path = source.relative_to(ROOT).as_posix()
        hrefs = [link["href"] for link in page.evaluate(LINKS)]
        colab = f"https://colab.research.google.com/github/{REPOSITORY}/blob/main/{path}"
        if colab not in hrefs:
            problems.append(f"no Colab launch link {colab}")
        if not any(h.startswith(f"https://mybinder.org/v2/gh/{REPOSITORY}/main?") and path in unquote(h) for h in hrefs):
            problems.append(f"no Binder launch link to {path}")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{doc.replace('/', '-')}.png"), full_page=True)
    if problems:
        pytest.fail(f"{doc}.html, as a reader sees it:\n  " + "\n  ".join(dict.fromkeys(problems)), pytrace=False)


@pytest.fixture
def fast_reader(browser, site):
    """A reader without the CDN files (no MathJax): for navigation only."""
    reader = Reader(browser, site, None)
    try:
        yield reader
    finally:
        reader.close()


def test_landing_page_sidebar_reaches_every_chapter(fast_reader: Reader):
    """A reader on the landing page finds every page of the TOC in the sidebar, and each chapter a click away.
    (What the pages show is test_page_renders's business.)"""
    reader = fast_reader
    site, page = reader.site, reader.page
    page.goto(site, wait_until="load")  # index.html redirects to the root document
    root_url = urljoin(site, f"{PAGES[0]}.html")
    page.wait_for_url(root_url)
    sidebar = "nav.bd-docs-nav a[href]"
    hrefs = {urldefrag(h)[0] for h in page.eval_on_selector_all(sidebar, "links => links.map(a => a.href)")}
    missing = [doc for doc in PAGES[1:] if urljoin(site, f"{doc}.html") not in hrefs]
    assert not missing, f"not in the landing page's sidebar: {missing}"
    for doc in chapter_pages():
        page.goto(root_url, wait_until="domcontentloaded")
        target = urljoin(site, f"{doc}.html")
        links = page.locator(sidebar)
        index = [urldefrag(h)[0] for h in links.evaluate_all("links => links.map(a => a.href)")].index(target)
        link = links.nth(index)
        assert link.is_visible(), f"{doc}: its link in the landing page's sidebar is not visible"
        link.click()
        page.wait_for_url(target, wait_until="commit")


@pytest.mark.parametrize("doc", [d for d in PAGES if (source_of(d) or Path()).suffix == ".ipynb"])
def test_chapter_installs_the_package_on_colab(doc: str):
    """The Colab button opens the bare notebook: its first code cell must install srgan-lite there."""
    notebook = json.loads(source_of(doc).read_text(encoding="utf-8"))
    code = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    first = code[0] if code else ""
    if not ('"google.colab" in sys.modules' in first and f"git+https://github.com/{REPOSITORY}" in first):
        pytest.fail(f"{doc}.ipynb: the first code cell should install the package on Colab, e.g.\n{COLAB_INSTALL_CELL}",
                    pytrace=False)


# --------------------------------------------------------------------------- the MOS page (book/mos.md)
MOS_DOC = "book/mos"
#: The paper's MOS per row the page compares with (Ledig et al. 2017, Table 2; SRGAN-MSE from Table 1).
MOS_PAPER = {"nearest": ("1.28", "1.20"), "bicubic": ("1.97", "1.80"), "SRResNet": ("3.37", "2.98"),
             "SRGAN-MSE": ("3.77", "3.43"), "SRGAN": ("3.58", "3.72"), "HR": ("4.32", "4.32")}
#: Scripted ratings: the i-th method of the manifest gets MOS_PATTERN[i % 6][k % 3] for its k-th crop shown.
MOS_PATTERN = ((1, 1, 2), (2, 3, 2), (3, 3, 4), (4, 3, 5), (5, 4, 5), (2, 5, 4))
MOS_STATE = "() => JSON.parse(localStorage.getItem('srgan-lite-mos-v1'))"


def _mos_wait(page, **attributes) -> None:
    selector = "#mos-app" + "".join(f'[data-{k}="{v}"]' for k, v in attributes.items())
    page.wait_for_selector(selector, state="attached")


@pytest.mark.skipif(MOS_DOC not in PAGES, reason="book/mos is not in _toc.yml")
def test_mos_page_rating_run(reader: Reader, built_book: Path):
    """The rating page as a reader uses it: calibration, a full blind run (clicks and keys 1-5), a reload
    mid-run that resumes at the same crop, the results table and figure against the scripted ratings, the CSV."""
    import csv
    import statistics

    from scipy import stats

    manifest = json.loads((built_book / "_static" / "mos" / "manifest.json").read_text(encoding="utf-8"))
    crops = {crop["id"]: crop for crop in manifest["crops"]}
    methods = [m["method"] for m in manifest["methods"]]
    assert {"nearest", "bicubic", "HR"} <= set(methods) and len(methods) >= 4, methods
    assert len(crops) == len(manifest["regions"]) * len(methods)
    page, site = reader.page, reader.site
    page.goto(urljoin(site, f"{MOS_DOC}.html"), wait_until="load")

    # Step 1: calibration, nearest labelled score 1 and HR score 5 for two images.
    _mos_wait(page, view="calibration", ready="true")
    app = page.locator("#mos-app")
    anchors = app.locator("figure.mos-anchor")
    assert anchors.count() == 2 * len(manifest["calibration"]) == 4
    captions = [anchors.nth(i).locator("figcaption").inner_text() for i in range(anchors.count())]
    assert [c.split(" ")[:2] for c in captions] == [["score", "1"], ["score", "5"]] * 2, captions
    loaded = page.evaluate(WAIT_FOR_IMAGES)
    assert len(loaded) >= 4 and all(image["loaded"] for image in loaded), loaded
    start = app.locator("button[data-action=start]")
    assert start.evaluate("b => b.tagName") == "BUTTON"
    start.click()

    # Step 2: every crop once, method hidden; odd positions rated by key, even ones by click; reload halfway.
    _mos_wait(page, view="rating")
    total = len(crops)
    seen: dict[str, int] = {}
    given: list[tuple[str, int]] = []  # (crop id, score), in the order rated
    for index in range(total):
        if index == total // 2:  # a reload mid-run resumes at the same crop with the earlier ratings kept
            expected = page.get_attribute("#mos-app", "data-crop")
            page.reload(wait_until="load")
            _mos_wait(page, view="rating", ready="true", index=index)
            assert page.get_attribute("#mos-app", "data-crop") == expected, "the reload did not resume at the same crop"
            kept = page.evaluate(MOS_STATE)["ratings"]
            assert [(r["id"], r["score"]) for r in kept] == given, "the reload lost or changed earlier ratings"
        _mos_wait(page, view="rating", ready="true", index=index)
        crop_id = page.get_attribute("#mos-app", "data-crop")
        assert crop_id in crops and crop_id not in {c for c, _ in given}, f"crop {crop_id!r} unknown or shown twice"
        method = crops[crop_id]["method"]
        image = app.locator("img.mos-rated")
        box = image.bounding_box()
        assert box and round(box["width"]) == 384 and round(box["height"]) == 384, f"crop shown at {box}"
        src = image.get_attribute("src")
        shown = app.inner_text()
        for m in manifest["methods"]:  # the method is hidden: not in the crop's URL nor in the text
            assert m["method"].lower() not in src.lower()
            assert m["label"] not in shown and (m["model"] or "\0") not in shown, f"method {m['label']!r} is visible"
        assert f"Image {index + 1} of {total}" in shown
        if index == 0:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            app.screenshot(path=str(SCREENSHOTS / "mos_rating.png"))
        k = seen.get(method, 0)
        seen[method] = k + 1
        score = MOS_PATTERN[methods.index(method) % len(MOS_PATTERN)][k % 3]
        if index % 2:
            page.keyboard.press(str(score))
        else:
            app.locator(f"button.mos-score[data-score='{score}']").click()
        given.append((crop_id, score))

    # Step 3: the results, per method: count and mean of the scripted ratings, t interval, the paper's MOS.
    _mos_wait(page, view="results", ready="true")
    state = page.evaluate(MOS_STATE)
    assert [(r["id"], r["score"]) for r in state["ratings"]] == given
    assert sorted(state["order"]) == sorted(crops) and state["seed"] is not None
    scores = {m: [s for c, s in given if crops[c]["method"] == m] for m in methods}
    for m in manifest["methods"]:
        row = app.locator(f"table.mos-results tr[data-method='{m['method']}']")
        assert row.count() == 1, f"no row for {m['method']} in the results table"
        mine = scores[m["method"]]
        assert int(row.locator("[data-col=n]").inner_text()) == len(mine) == len(manifest["regions"])
        mean = statistics.fmean(mine)
        shown_mean = float(row.locator("[data-col=mean]").get_attribute("data-value"))
        assert abs(shown_mean - mean) < 1e-9, f"{m['method']}: mean {shown_mean}, scripted {mean}"
        assert abs(float(row.locator("[data-col=mean]").inner_text()) - mean) <= 0.005 + 1e-9
        half = stats.t.ppf(0.975, len(mine) - 1) * statistics.stdev(mine) / len(mine) ** 0.5
        low, high = (float(x) for x in row.locator("[data-col=ci]").inner_text().split("\u2013"))  # clipped to 1..5
        expected_ci = (max(1.0, mean - half), min(5.0, mean + half))
        assert abs(low - expected_ci[0]) <= 0.005 + 1e-9 and abs(high - expected_ci[1]) <= 0.005 + 1e-9, (low, high, expected_ci)
        assert 1 <= low <= mean <= high <= 5
        paper = (row.locator("[data-col=paper-set5]").inner_text(), row.locator("[data-col=paper-set14]").inner_text())
        assert paper == MOS_PAPER[m["paper"]], f"{m['method']}: paper MOS {paper}"
        for value in range(1, 6):  # the Fig. 5-like plot: one cell per method and score, with its count
            cell = app.locator(f"svg.mos-figure rect[data-method='{m['method']}'][data-score='{value}']")
            assert int(cell.get_attribute("data-count")) == mine.count(value)
    assert app.locator("svg.mos-figure circle.mos-mean").count() == len(methods)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    app.screenshot(path=str(SCREENSHOTS / "mos_results.png"))

    # The CSV: a header and one row per rating, in the order rated.
    with page.expect_download() as download_info:
        app.locator("button[data-action=download]").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == total, f"CSV has {len(rows)} rows for {total} ratings"
    assert [(r["crop_id"], int(r["score"])) for r in rows] == given
    assert all(r["method"] == crops[r["crop_id"]]["method"] and r["image"] == crops[r["crop_id"]]["image"] and r["timestamp"]
               for r in rows)

    # A reload keeps the results; "start over" (confirmed) discards them and returns to the calibration.
    page.reload(wait_until="load")
    _mos_wait(page, view="results", ready="true")
    app.locator("button[data-action=start-over]").click()
    app.locator("button[data-action=confirm-start-over]").click()
    _mos_wait(page, view="calibration", ready="true")
    assert page.evaluate(MOS_STATE)["ratings"] == []
    assert not reader.problems, "the MOS page, as a reader uses it:\n  " + "\n  ".join(dict.fromkeys(reader.problems))
