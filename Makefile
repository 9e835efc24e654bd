# Two commands for readers (see README): `make lab` opens the textbook, `make test` runs every test;
# teachers add `make student` (the nbgrader release); `make book` builds the website.
# Both first install what they need into .venv (idempotent: a second run installs nothing).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BOOK := _build/html

.PHONY: lab test test-main test-compat lint install student bench book clean

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

test: lint test-main test-compat

test-main: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider tests notebooks --nbval-lax --nbval-current-env \
		--nbval-sanitize-with notebooks/sanitize.cfg -q

# Two more environments, each built from its requirements file (book/install.md: "Tested versions"):
# .venv-colab/ has Colab's versions, .venv-lowest/ the lower bounds of pyproject.toml. A changed
# requirements file or pyproject.toml rebuilds one from scratch. In each run the library's tests,
# then every chapter's code top to bottom (tools/run_chapters.py; outputs are not compared, they
# were made with requirements.txt). Left out of the tests: Ray's, nbgrader's and the book's (none is
# installed there, nor on Colab); the fault tests (signals and processes: the same Python and
# torch in every environment, and 3 minutes each time); the checks of committed files and of the
# tools (notebooks, prose, version files, the chapter runner), which no version changes; and the
# rendered blocks of the README and the book's pages, outputs compared digit for digit.
COMPAT_ENVS := colab lowest
COMPAT_TESTS := tests \
	--ignore=tests/test_ray_train.py --ignore=tests/test_ray_cluster.py \
	--ignore=tests/test_nbgrader.py --ignore=tests/test_book.py \
	--ignore=tests/test_faults.py --ignore=tests/test_ctrl_c.py \
	--ignore=tests/test_notebooks_meta.py --ignore=tests/test_prose_claims.py \
	--ignore=tests/test_tested_versions.py --ignore=tests/test_run_chapters.py \
	--deselect=tests/test_readme_results.py::test_every_rendered_block_is_what_the_committed_results_render

$(COMPAT_ENVS:%=.venv-%/.installed): .venv-%/.installed: requirements-%.txt pyproject.toml
	rm -rf .venv-$*
	$(PYTHON) -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet --upgrade pip
	.venv-$*/bin/python -m pip install --quiet -r requirements-$*.txt -e .
	touch $@

.PHONY: $(COMPAT_ENVS:%=compat-%)
$(COMPAT_ENVS:%=compat-%): compat-%: .venv-%/.installed
	.venv-$*/bin/python -m pytest -p no:cacheprovider -q $(COMPAT_TESTS)
	.venv-$*/bin/python tools/run_chapters.py notebooks/[0-9][0-9]_*.ipynb

test-compat: $(COMPAT_ENVS:%=compat-%)

# The nbgrader course directory course/ (gitignored): source/ (the chapters with solutions)
# and release/ (the student versions, from `nbgrader generate_assignment`). book/teachers.md.
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
	rm -rf $(VENV) $(addprefix .venv-,$(COMPAT_ENVS)) .pytest_cache _build book/api
