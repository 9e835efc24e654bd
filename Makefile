# Two commands for readers (see README): `make lab` opens the textbook, `make test` runs every test;
# teachers add `make student` (the nbgrader release).
# Both first install what they need into .venv (idempotent: a second run installs nothing).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lab test lint install student bench clean

$(STAMP): requirements.txt requirements-teach.txt requirements-ray.txt requirements-tensorboard.txt \
		pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-teach.txt \
		-r requirements-ray.txt -r requirements-tensorboard.txt -e .
	touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest -p no:cacheprovider tests notebooks --nbval-lax --nbval-current-env \
		--nbval-sanitize-with notebooks/sanitize.cfg -q

# The nbgrader course directory course/ (gitignored): source/ (the chapters with solutions)
# and release/ (the student versions, from `nbgrader generate_assignment`). README: "For teachers".
student: $(STAMP)
	$(BIN)/python tools/nbgrader_course.py --out course

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache
