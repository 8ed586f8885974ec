# Greenroom developer commands. Each target creates and reuses the virtual environment in $(VENV).
#
#   make run     install the app, start Greenroom (bundled demo clip when no camera is present)
#   make test    install everything, run lint, the import contracts, the type checker and the test suite
#   make train ARGS="--run-dir runs/NAME ..."   train the segmenter with tcmalloc (see the README)
#
# `make run` installs the app without PyTorch (ONNX Runtime on the CPU), and adds a CUDA build of PyTorch
# (TORCH_SPEC from CUDA_INDEX, with the `cuda` extra) only where `nvidia-smi` finds an NVIDIA driver.
# `make test`, `make train` and `make bench` need PyTorch: TORCH_SPEC is installed before the project so pip never
# pulls another build. The default pins 2.13.0; on a CPU-only Linux machine that downloads from the internet, the
# CPU index keeps the download small:
#   make test TORCH_INDEX=https://download.pytorch.org/whl/cpu

PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=
CUDA_INDEX ?= https://download.pytorch.org/whl/cu128
BIN := $(VENV)/bin
PROJECT_HASH := $(shell cat pyproject.toml | sha256sum | cut -c1-12)
STAMP := $(VENV)/.installed-$(PROJECT_HASH)
RUN_STAMP := $(VENV)/.run-installed-$(PROJECT_HASH)
HAS_NVIDIA_DRIVER := $(shell nvidia-smi -L >/dev/null 2>&1 && echo yes)
APT_PACKAGES := xvfb xauth xdotool imagemagick libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 \
	libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-cursor0 libxkbcommon-x11-0 libxkbcommon0 libegl1 libgl1 \
	libfontconfig1 libdbus-1-3 libglib2.0-0 libtcmalloc-minimal4
# glibc malloc hands training's large activations back to the system and page-faults them in again; tcmalloc keeps
# them (steps 1.6x faster at mixed input sizes, 1.2x at one size; see the README).

.PHONY: run test lint train bench bundle system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e ".[dev,train]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# The app alone: ONNX Runtime on the CPU, plus a CUDA build of PyTorch where an NVIDIA driver is present.
$(RUN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
ifeq ($(HAS_NVIDIA_DRIVER),yes)
	$(BIN)/pip install --quiet --index-url $(CUDA_INDEX) "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e ".[cuda]"
else
	$(BIN)/pip install --quiet -e .
endif
	rm -f $(VENV)/.run-installed-*
	touch $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/greenroom $(ARGS)

system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing system packages: $$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: $(STAMP) system-deps lint
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest

train: $(STAMP) system-deps
	LD_PRELOAD=libtcmalloc_minimal.so.4 $(BIN)/python -m segmentation.training $(ARGS)

bench: $(STAMP)
	$(BIN)/python -m segmentation.tools.bench
	$(BIN)/greenroom bench

bundle: $(STAMP)
	$(BIN)/pip install --quiet -e ".[packaging]"
	$(BIN)/pyinstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/greenroom.spec

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache
