# The two commands of the README: `make book` and `make test`. Both set everything up on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test unit nbval browser-test venv clean chromium

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

venv: $(STAMP)

# Builds _build/html from the notebooks' stored outputs (execute_notebooks: off in _config.yml).
# -W turns every warning (a broken reference, a failed notebook) into a failure.
book: $(STAMP)
	@echo "make book: renders the outputs stored in the notebooks (execute_notebooks: off); it does not re-execute them (make test does)."
	$(BIN)/jupyter-book build . -W --keep-going

# Every chapter. Chapters 2, 7, 8b, 9 and 10 check numbers on Set5 and Set14, which ship inside the package
# (srgan_lite/sets/); nothing outside the repository is read (see the README).
NBVAL_CHAPTERS := $(sort $(wildcard book/*.ipynb))

unit: $(STAMP)
	$(BIN)/python -m pytest tests -q -m "not browser" --durations=10

# Re-executes every chapter (CPU quick profile) and compares it with its stored outputs.
nbval: $(STAMP)
	$(BIN)/python -m pytest --nbval --nbval-current-env --nbval-cell-timeout=600 $(NBVAL_CHAPTERS) -q -p no:cacheprovider --durations=12

# Unit tests, the browser test of the rendered book (tests/test_book_browser.py: headless Chromium over every
# page of _build/html, which it builds first when stale; skipped with a reason where Chromium is absent), then
# nbval over the chapters.
test: $(STAMP) chromium
	$(BIN)/python -m pytest tests -q --durations=10
	$(BIN)/python -m pytest --nbval --nbval-current-env --nbval-cell-timeout=600 $(NBVAL_CHAPTERS) -q -p no:cacheprovider --durations=12

browser-test: $(STAMP) chromium
	SRGAN_LITE_REQUIRE_BROWSER=1 $(BIN)/python -m pytest tests/test_book_browser.py -q

clean:
	rm -rf _build

# The browser test drives Debian's Chromium (it never downloads a browser): installed here where it is missing and
# apt-get can (as root); elsewhere the test skips with the reason, or fails under SRGAN_LITE_REQUIRE_BROWSER=1.
chromium:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	    { apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; }; } && \
	    echo "installed Debian's chromium for tests/test_book_browser.py"; } || \
	  echo "note: no Chromium, and it cannot be installed here: tests/test_book_browser.py will skip (apt-get install chromium)"
