# Two commands for readers (see README): `make lab` opens the textbook, `make test` runs every test;
# teachers add `make student` (the nbgrader release); `make book` builds the website.
# Both first install what they need into .venv (idempotent: a second run installs nothing).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BOOK := _build/html

.PHONY: lab test lint install student bench book clean

$(STAMP): requirements.txt requirements-teach.txt requirements-ray.txt requirements-tensorboard.txt \
		requirements-book.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-teach.txt \
		-r requirements-ray.txt -r requirements-tensorboard.txt -r requirements-book.txt -e .
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

# The book as a website in $(BOOK) (gitignored): the committed notebooks, not re-executed, the
# glossary, the API reference and the results (book/conf.py). Warnings are errors, then every
# internal link, every chapter's figures and the absence of CDN files are checked.
book: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -q -b html -c book . $(BOOK)
	$(BIN)/python tools/check_site.py $(BOOK)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache _build book/api
