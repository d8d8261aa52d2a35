# The README's commands. Each target sets up (or reuses) .venv first: the demo what evalsuite
# runs on, the others the dev extras too (scripts/setup_env.sh: uv, installed into
# .venv first when it is not on PATH; pip where uv cannot be had).
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
SRC    := evalsuite trainers
CHECKED := $(SRC) tests bench app.py

.PHONY: demo demo-sweep test lint bench e2e clean

$(STAMP): pyproject.toml
	scripts/setup_env.sh $(VENV)
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	scripts/setup_env.sh $(VENV) dev
	touch $(DEV_STAMP)

demo: $(STAMP)
	$(VENV)/bin/evalsuite demo $(DEMO_ARGS)

# Both sweep experiments, small: standard vs dss at 3 training fractions, then at 3 levels of
# teacher label noise. Both train on the teacher's labels (at noise 0 they equal the gold ones)
# in one --work, so the two sweeps share their fraction-1, noise-0 students: 10 tiny llama
# students, two at a time (8.9 min measured on 2 shared CPUs; README).
SWEEP := $(VENV)/bin/evalsuite sweep --recipes standard,dss --label-source teacher \
	--model tiny-llama --jobs 2 --max-steps 400 --arith n_train=10000,n_test=300 \
	--work runs/demo-sweep
demo-sweep: $(STAMP)
	$(SWEEP) --fractions 0.1,0.3,1 --out reports/demo-sweep/fraction
	$(SWEEP) --noise 0,0.2,0.4 --out reports/demo-sweep/noise

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check $(CHECKED)
	$(VENV)/bin/ruff format --check $(CHECKED)
	$(VENV)/bin/mypy $(SRC)

# One worker per core (pytest-xdist): the suite is CPU-bound and single-threaded per test, so two
# workers on the two-core machines halve its wall time (13 min -> 8 min measured on a clean clone).
# --dist loadfile sends each test file to one worker whole, so a module-scoped fixture (a report
# built once for a module's tests) is built once, not once per worker as xdist's default can.
test: lint
	$(PY) -m pytest -n auto --dist loadfile -m "not slow and not e2e"

bench: $(DEV_STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

e2e: $(DEV_STAMP)
	$(PY) -m pytest -m e2e

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
