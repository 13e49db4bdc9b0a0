# Two commands do everything on a fresh machine: `make run` and `make test`.
UV := python3 -m uv
PACKAGES := leadengine-core leadengine-contracts leadengine-shared leadengine-storage leadengine-integrations leadengine-api

.PHONY: run test bootstrap sync test-packages lint typecheck layers build

# The whole embedded demo, one foreground command (Ctrl-C stops it): migrations, demo seed,
# the API with its in-process worker on :8000 and the broker simulator on :8081, wired together.
run: sync
	$(UV) run leadengine demo

test: sync
	$(UV) run pytest

bootstrap:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

sync: bootstrap
	$(UV) sync --all-packages --all-extras --locked

test-packages: bootstrap
	@for package in $(PACKAGES); do scripts/test_package.sh $$package || exit 1; done

lint: sync
	$(UV) run ruff check .
	$(UV) run ruff format --check .

typecheck: sync
	$(UV) run mypy packages/core/src packages/contracts/src packages/shared/src packages/storage/src packages/integrations/src apps/api/src

layers: bootstrap
	python3 scripts/check_layers.py

build: bootstrap
	$(UV) run python scripts/check_wheels.py
