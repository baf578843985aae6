# The two commands a newcomer needs: `make run` and `make test`. Both install first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
VP := $(VENV)/bin/vp
STAMP := $(VENV)/.install-stamp
DEMO_DATA := data/digits
UI := frontend
UI_DIST := src/vision_platform/api/static
DEMO_SHAPES := data/shapes

.PHONY: install ui ui-types ui-test run demo test test-fast lint lock clean

# A no-op when requirements.lock and pyproject.toml are unchanged since the last install.
install:
	@hash=$$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1); \
	if [ -f $(STAMP) ] && [ "$$(cat $(STAMP))" = "$$hash" ]; then \
		echo "install: up to date ($(VENV))"; exit 0; fi; \
	test -x $(PY) || python3 -m venv $(VENV) || exit 1; \
	$(PY) -m pip install --quiet --constraint requirements.lock --editable '.[ultralytics,kubernetes,dev]' \
		|| exit 1; \
	echo "$$hash" > $(STAMP); echo "install: done ($(VENV))"
	@$(MAKE) --no-print-directory ui

# The web UI: `npm ci` when package-lock.json changed, `npm run build` when its sources changed.
ui:
	@command -v npm >/dev/null || { echo "ui: npm not found: the web UI is not built"; exit 0; }; \
	lock=$$(sha256sum $(UI)/package-lock.json | cut -d' ' -f1); \
	if [ "$$(cat $(UI)/node_modules/.vp-lock-stamp 2>/dev/null)" != "$$lock" ]; then \
		(cd $(UI) && npm ci --no-audit --no-fund) || exit 1; \
		echo "$$lock" > $(UI)/node_modules/.vp-lock-stamp; fi; \
	src=$$(cd $(UI) && find src index.html package-lock.json tsconfig.json vite.config.ts -type f \
		| sort | xargs cat | sha256sum | cut -d' ' -f1); \
	if [ -f $(UI_DIST)/index.html ] && [ "$$(cat $(UI)/node_modules/.vp-build-stamp 2>/dev/null)" = "$$src" ]; then \
		echo "ui: up to date ($(UI_DIST))"; exit 0; fi; \
	(cd $(UI) && npm run build) || exit 1; \
	echo "$$src" > $(UI)/node_modules/.vp-build-stamp; echo "ui: built ($(UI_DIST))"

# Regenerate the UI's API types from the server's OpenAPI (no server started).
ui-types: install
	$(PY) $(UI)/scripts/dump_openapi.py
	cd $(UI) && npm run gen:types

ui-test:
	@command -v npm >/dev/null || { echo "ui-test: npm not found: UI tests skipped"; exit 0; }; \
	cd $(UI) && npm test -- --run

$(DEMO_DATA): | install
	$(VP) data digits $(DEMO_DATA) --size 32

$(DEMO_SHAPES): | install
	$(VP) data shapes $(DEMO_SHAPES)

# The platform on its embedded defaults (SQLite, local storage, local executor) with the demo
# data sets in ./data (an allowed data root). Ctrl+C stops it; running jobs save and resume.
run: install $(DEMO_DATA) $(DEMO_SHAPES)
	$(VP) serve --host 127.0.0.1 --port 8000

# The command-line way, without a server: train the demo classifier and predict with it.
demo: install $(DEMO_DATA)
	$(VP) train --job-id demo --model-name resnet18 --dataset-path $(DEMO_DATA) \
		--preset easy --num-epochs 3 --batch-size 32 --image-size 32 --seed 0 --resume
	$(VP) predict --checkpoint output/job_demo/weights/best.pt \
		$$(ls $(DEMO_DATA)/val/7/*.png | head -n 1)

# UI unit tests first, so that pytest's summary is the last line CI reads.
# Two pytest workers, each file on one worker (its module fixtures built once), and one
# OpenMP thread per process (two workers' trainers with two spinning threads each made the
# preset-quality runs ~7x slower). Measured 2026-12-01 on 2 cores: 11.5 min for 1,240 tests;
# one process took 16.6 min for the 985 tests before that day's additions.
PYTEST_PARALLEL = -n 2 --dist loadfile
test: install
	$(PY) tests/ui/ensure_chromium.py
	@$(MAKE) --no-print-directory ui-test
	OMP_NUM_THREADS=1 $(PY) -m pytest $(PYTEST_PARALLEL)

test-fast: install
	OMP_NUM_THREADS=1 $(PY) -m pytest $(PYTEST_PARALLEL) -m "not slow"

lint: install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# Re-pin every dependency after changing pyproject.toml (run in a fresh venv).
lock:
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e ' > requirements.lock

clean:
	rm -rf $(VENV) output .vp .pytest_cache .mypy_cache .ruff_cache
