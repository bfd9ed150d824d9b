# The two commands: `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
PORT   ?= 8501
STAMP  := $(VENV)/.installed

.PHONY: run test install lint bench clean chromium

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# Reinstall only when the dependency list changes.
$(STAMP): $(PY) pyproject.toml constraints.txt
	$(PIP) install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/streamlit run app/main.py --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

# Debian's Chromium for the browser tests, and a CJK font so 简体中文 renders in its screenshots;
# installed when missing and we are root.
chromium:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi microhei; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null) \
	      || { echo "could not install chromium"; exit 1; }; \
	  else echo "chromium is missing: install the Debian packages 'chromium fonts-wqy-microhei' (needs root)"; exit 1; fi; \
	fi

test: $(STAMP) chromium
	$(PY) -m ruff check optim_core app tests
	$(PY) -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(PY) tests/benchmarks/bench_simulate.py

lint: $(STAMP)
	$(PY) -m ruff check optim_core app tests

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
