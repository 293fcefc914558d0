# `make demo` and `make test` each do the whole set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The exact versions (setup.cfg holds the ranges a library declares).
CONSTRAINTS := constraints.txt
PIP := $(PY) -m pip install -q --disable-pip-version-check -c $(CONSTRAINTS)

.PHONY: setup demo test bench bench-quick clean readme wheel wheel-check lock

$(STAMP): setup.cfg pyproject.toml $(CONSTRAINTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) -e '.[all,test]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/relucert demo

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) benchmarks/run_all.py

bench-quick: setup
	$(PY) benchmarks/run_all.py --quick

# The wheel (dist/relucert-VERSION-py3-none-any.whl), built in an isolated environment
# whose setuptools and wheel are the pinned ones.
wheel: setup
	rm -rf dist
	PIP_CONSTRAINT=$(abspath $(CONSTRAINTS)) $(PY) -m build --wheel --outdir dist . > /dev/null
	ls dist/*.whl

# The wheel installed into a clean virtual environment (no editable install, no source
# tree on the path): every subpackage imports, `relucert --version` and `relucert demo`
# run. Catches a package list, package_dir or package data mistake.
wheel-check: wheel
	bash .ci/wheel_check.sh dist/*.whl

# Regenerate constraints.txt from setup.cfg's ranges (then run `make test` on it).
lock:
	bash .ci/lock.sh $(CONSTRAINTS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis build dist

# README's command section is generated from the parser (tests/test_cli_contract.py
# compares them): run this after adding or changing a subcommand or an option.
readme: setup
	$(PY) -c "import re, relucert.cli as c; p = 'README.md'; s = open(p).read(); \
	s2 = re.sub(r'(<!-- generated from the parser[^\n]*-->\n\`\`\`\n)(.*?)(\`\`\`)', \
	lambda m: m.group(1) + c.synopsis() + m.group(3), s, count=1, flags=re.S); \
	open(p, 'w').write(s2); print('README.md: command section', 'unchanged' if s2 == s else 'updated')"
