# Two commands for a newcomer; each sets up .venv itself (tools/setup_env.sh).
PY := .venv/bin/python
SHARED ?= ../shared/data

.PHONY: setup test demo clean-venv

setup:
	bash tools/setup_env.sh

test: setup
	$(PY) -m pytest tests -q -p no:cacheprovider

demo: setup
	$(PY) tools/run_demo.py --work-dir work_dirs/demo

clean-venv:
	rm -rf .venv
