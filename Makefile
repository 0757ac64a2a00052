# The kit's commands. Each target builds its own virtual environment on first use.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
SUBMISSIONS ?=
JOBS   ?= 0
# The tests run TEST_JOBS test files at a time (pytest-xdist; a file's tests share its fixtures),
# each with one BLAS thread so that the files do not fight over the cores.
TEST_JOBS ?= 2
TEST_ENV = OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

.PHONY: help demo test test-fast coverage system-deps readme-images data release grade feedback bench clean distclean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'

# The instructor's tools (requirements.txt: the student package's needs and the grader's), then
# the maintainers' test and benchmark extras (requirements-dev.txt) for make test and make bench.
KIT_INSTALLED = $(VENV)/.installed-kit
DEV_INSTALLED = $(VENV)/.installed-dev

$(KIT_INSTALLED): requirements.txt assignments/student-requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(DEV_INSTALLED): $(KIT_INSTALLED) requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

demo: $(KIT_INSTALLED)  ## build data and release, grade sample submissions, print the grade table
	@.ci/system-deps --if-possible bwrap
	$(PY) -m kit demo

test: system-deps $(DEV_INSTALLED)  ## run the kit's whole test suite (TEST_JOBS files at a time)
	$(TEST_ENV) $(PY) -m pytest tests -n $(TEST_JOBS) --dist loadfile --durations=30

test-fast: $(DEV_INSTALLED)  ## the tests not marked slow: a quick check while editing
	$(TEST_ENV) $(PY) -m pytest tests -m "not slow" -n $(TEST_JOBS) --dist loadfile -q

coverage: system-deps $(DEV_INSTALLED)  ## the whole test suite with line coverage of kit/ and cs231n/ (in the test processes)
	$(TEST_ENV) $(PY) -m pytest tests -n $(TEST_JOBS) --dist loadfile -q --cov=kit --cov=cs231n --cov-report=term:skip-covered --cov-report=json:build/coverage.json

system-deps:  ## the system packages the tests need (Chromium, ChromeDriver, bubblewrap)
	@.ci/system-deps

readme-images: system-deps $(DEV_INSTALLED)  ## regenerate the README's pictures in docs/images/
	$(PY) -m pytest tests/test_browser.py -q -k jupyterlab_student
	$(PY) -m kit demo
	$(PY) docs/readme_images.py

data: $(KIT_INSTALLED)  ## build the built-in offline captioning dataset
	$(PY) -m kit data

release: $(KIT_INSTALLED)  ## build the student release in build/release/
	$(PY) -m kit release

grade: $(KIT_INSTALLED)  ## grade every submission in SUBMISSIONS=DIR (JOBS=n, default cores + 1)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=DIR [JOBS=n]: DIR holds one folder or .zip per student (make demo grades sample ones)"; exit 2; }
	$(PY) -m kit grade $(SUBMISSIONS) --jobs $(JOBS)

feedback: $(KIT_INSTALLED)  ## after hand grading: regenerate feedback from the gradebook, one zip per student
	$(PY) -m kit feedback

bench: $(DEV_INSTALLED)  ## run the benchmarks
	$(PY) bench/bench_layers.py
	$(PY) bench/bench_notebooks.py
	$(PY) bench/bench_dataset.py
	$(PY) bench/bench_grading.py
	$(PY) bench/bench_head.py

clean:  ## remove built course, release and grading output
	rm -rf build

distclean: clean  ## also remove the virtual environment and the built-in dataset
	rm -rf $(VENV) datasets/builtin_captioning
