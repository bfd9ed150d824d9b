# The two commands: `make run` and `make test` (what CI runs, .ci/run); `make serve` for a class. Beside them:
# `make test-fast` (all but the real-browser tests), `make lint` (ruff, formatting, mypy), `make bench`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
PORT   ?= 8501
STAMP  := $(VENV)/.installed

.PHONY: run serve test test-fast install lint bench clean chromium

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# Reinstall only when the dependency list changes.
$(STAMP): $(PY) pyproject.toml constraints.txt
	$(PIP) install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

STREAMLIT := $(VENV)/bin/streamlit run app/main.py --server.port $(PORT) --server.headless true \
	--browser.gatherUsageStats false

# On this computer only: http://localhost:$(PORT); nobody else on the network can open it.
run: $(STAMP)
	$(STREAMLIT) --server.address 127.0.0.1

# For a class: every network interface (http://<this machine>:$(PORT)), an explicit choice. The toolbar
# shows no developer options, an error shows its type only, the files are not watched. The classroom
# settings are environment variables, read by the app (README, "Running it for a class"):
# OPTIM_LAB_ADMIN_TOKEN, OPTIM_LAB_RUN_VISIBILITY, OPTIM_LAB_RUNS_PER_USER, OPTIM_LAB_QUEUE_CAP,
# OPTIM_LAB_MAX_RUNS, OPTIM_LAB_UPLOAD_QUOTA_MB, OPTIM_LAB_DATA_ROOT, OPTIM_LAB_WORKERS.
serve: $(STAMP)
	@[ -n "$$OPTIM_LAB_ADMIN_TOKEN" ] || echo "make serve: OPTIM_LAB_ADMIN_TOKEN is unset: no one controls every run"
	$(STREAMLIT) --server.address 0.0.0.0 --client.toolbarMode minimal --client.showErrorDetails type \
	  --server.fileWatcherType none --server.runOnSave false

# Debian's Chromium for the browser tests, and a CJK font so 简体中文 renders in its screenshots;
# installed when missing and we are root.
chromium:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi microhei; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null) \
	      || { echo "could not install chromium"; exit 1; }; \
	  else echo "chromium is missing: install the Debian packages 'chromium fonts-wqy-microhei' (needs root)"; exit 1; fi; \
	fi

test: $(STAMP) chromium lint
	$(PY) -m pytest -q -p no:cacheprovider

# The suite without the tests marked `browser` (tests/browser): no Chromium needed.
test-fast: $(STAMP) lint
	$(PY) -m pytest -q -p no:cacheprovider -m "not browser"

# Every benchmark script (tests/benchmarks/bench_*.py that runs as a script), one after another; each
# prints one JSON object. bench_page_latency drives Chromium.
BENCHES := $(shell grep -l '^if __name__ == "__main__":' tests/benchmarks/bench_*.py)

bench: $(STAMP) chromium
	@set -e; for script in $(BENCHES); do echo "== $$script" >&2; $(PY) $$script; done

# ruff's checks (line length included), the formatting, and types (pyproject.toml [tool.mypy]): the first
# step of `make test` and `make test-fast`.
lint: $(STAMP)
	$(PY) -m ruff check optim_core app tests tools
	$(PY) -m ruff format --check optim_core app tests tools
	$(PY) -m mypy

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
