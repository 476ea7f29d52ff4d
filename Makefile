# Two entry points for a fresh machine (see README):
#   make demo   set up .venv and run preprocess -> train -> generate -> analyse on the embedded dataset
#   make test   set up .venv and run the test suite (TensorFlow backend, then the model tests under JAX)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BACKEND_TESTS := tests/test_models.py tests/test_training.py tests/test_griffinlim.py

.PHONY: demo test setup bench clean

$(VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[tensorflow,jax,test]"
	touch $@

setup: $(VENV)/.installed

demo: $(VENV)/.installed
	$(PY) -m genmusic.cli demo

test: $(VENV)/.installed
	$(PY) -m pytest -q -p no:cacheprovider
	KERAS_BACKEND=jax $(PY) -m pytest -q -p no:cacheprovider $(BACKEND_TESTS)

bench: $(VENV)/.installed
	$(PY) benchmarks/bench_preprocess.py
	$(PY) benchmarks/bench_train.py
	$(PY) benchmarks/bench_generate.py

clean:  # everything the demo wrote; the folders' README.md files stay
	rm -rf data generated reports saved_models/*/
	find spectrograms -mindepth 1 ! -name README.md -exec rm -rf {} +
