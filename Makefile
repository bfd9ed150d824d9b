# The two commands: `make run` and `make test` (what CI runs, .ci/run); `make serve` for a class. Beside them:
# `make test-fast` (all but the real-browser tests), `make lint` (ruff, formatting, mypy), `make bench`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
PORT   ?= 8501
STAMP  := $(VENV)/.installed
# the tests also get the `cluster` extra (Ray: the job tests on a real local Ray cluster); `make run` needs
# neither Ray nor PostgreSQL
TEST_STAMP := $(VENV)/.installed-cluster

.PHONY: run serve serve-cluster test test-fast install lint bench clean system-packages

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# Reinstall only when the dependency list changes.
$(STAMP): $(PY) pyproject.toml constraints.txt
	$(PIP) install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(PIP) install -q -c constraints.txt -e ".[dev,cluster]"
	touch $(TEST_STAMP)

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

# Several app servers behind a load balancer, on this machine (deploy/cluster.py): PostgreSQL, REPLICAS
# Streamlit replicas over one run store and HAProxy with sticky sessions on 127.0.0.1:PORT (8500 unless
# given: `make serve-cluster REPLICAS=2 PORT=8500`), in the foreground (Ctrl-C stops everything). Needs
# Debian's haproxy and postgresql; CLUSTER_EXECUTOR=ray needs the `cluster` extra. The local PostgreSQL is
# removed at the end with the runs it holds; DATABASE_URL='postgresql+psycopg://...' keeps them in yours.
REPLICAS ?= 2
CLUSTER_PORT := $(if $(filter command line environment,$(origin PORT)),$(PORT),8500)
CLUSTER_EXECUTOR ?= local
serve-cluster: $(STAMP)
	$(PY) -m deploy.cluster --replicas $(REPLICAS) --port $(CLUSTER_PORT) --executor $(CLUSTER_EXECUTOR) \
	  $(if $(DATABASE_URL),--database-url '$(DATABASE_URL)')

# The Debian packages the suite needs, installed when missing and we are root (else: which ones are
# missing): Chromium and a CJK font for the browser tests (so 简体中文 renders in their screenshots),
# PostgreSQL for the run store's tests on a real server (tools/local_postgres.py), HAProxy for the load
# balancer of deploy/ and its browser test.
system-packages:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi microhei || missing="$$missing fonts-wqy-microhei"; \
	command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  || missing="$$missing postgresql"; \
	[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null 2>&1 || missing="$$missing haproxy"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing the Debian packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || { echo "could not install the Debian packages:$$missing"; exit 1; }; \
	  else echo "the tests need the Debian packages:$$missing (as root: apt-get install$$missing)"; exit 1; fi; \
	fi

test: $(TEST_STAMP) system-packages lint
	$(PY) -m pytest -q -p no:cacheprovider

# The suite without the tests marked `browser` (tests/browser): no Chromium needed; without PostgreSQL its
# tests skip (tools/local_postgres.py).
test-fast: $(TEST_STAMP) lint
	$(PY) -m pytest -q -p no:cacheprovider -m "not browser"

# Every benchmark script (tests/benchmarks/bench_*.py that runs as a script), one after another; each
# prints one JSON object. bench_page_latency drives Chromium.
BENCHES := $(shell grep -l '^if __name__ == "__main__":' tests/benchmarks/bench_*.py)

bench: $(TEST_STAMP) system-packages
	@set -e; for script in $(BENCHES); do echo "== $$script" >&2; $(PY) $$script; done

# ruff's checks (line length included), the formatting, and types (pyproject.toml [tool.mypy]): the first
# step of `make test` and `make test-fast`.
lint: $(STAMP)
	$(PY) -m ruff check optim_core app tests tools deploy
	$(PY) -m ruff format --check optim_core app tests tools deploy
	$(PY) -m mypy

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
