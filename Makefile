# `make demo` and `make test` each do the whole set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench bench-quick clean readme

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[gpu,sklearn,test,bench,dask]'
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

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis

# README's command section is generated from the parser (tests/test_cli_contract.py
# compares them): run this after adding or changing a subcommand or an option.
readme: setup
	$(PY) -c "import re, relucert.cli as c; p = 'README.md'; s = open(p).read(); \
	s2 = re.sub(r'(<!-- generated from the parser[^\n]*-->\n\`\`\`\n)(.*?)(\`\`\`)', \
	lambda m: m.group(1) + c.synopsis() + m.group(3), s, count=1, flags=re.S); \
	open(p, 'w').write(s2); print('README.md: command section', 'unchanged' if s2 == s else 'updated')"
