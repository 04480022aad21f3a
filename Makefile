# LatentBook — every target installs what it needs, then builds in release mode.
SWIFT        ?= swift
BUILD_FLAGS  := -c release
BIN          := .build/release/latentbook
DEB_PACKAGES := pkg-config libdnnl-dev libcmark-dev zlib1g-dev
THREADS      ?= 2

# Data: --data, then LATENTBOOK_DATA, then data/. On the course machines the files sit in
# ../shared/data; use them when neither of the others is there.
ifeq ($(origin LATENTBOOK_DATA),undefined)
  ifeq ($(wildcard data/mnist),)
    ifneq ($(wildcard ../shared/data/mnist),)
      export LATENTBOOK_DATA := $(abspath ../shared/data)
    endif
  endif
endif

.PHONY: all deps pydeps browserdeps build test report report-full bench fuzz clean
all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "missing Debian packages:$$missing"; echo "install them with: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

# The Python safetensors package lets the tests prove our checkpoints load in Python; the
# interoperability test is skipped (and says so) where it cannot be installed.
pydeps:
	@python3 -c 'import safetensors, numpy' 2>/dev/null || pip install -q safetensors numpy 2>/dev/null \
	  || echo "note: Python safetensors unavailable; the interoperability test will be skipped"

# Headless Chromium, driven by Playwright for Python, lets the tests open a rendered report the
# way a reader would and work in the live preview (Tests/BrowserCheck). Playwright comes from PyPI
# into its own venv and uses Debian's Chromium (no browser download); the browser tests are
# skipped (and say so) where either cannot be installed.
BROWSER_VENV ?= .build/browser-venv
PLAYWRIGHT   ?= playwright==1.65.2
browserdeps:
	@[ -f $(BROWSER_VENV)/.installed ] || { rm -rf $(BROWSER_VENV) && python3 -m venv $(BROWSER_VENV) \
	  && $(BROWSER_VENV)/bin/pip install -q $(PLAYWRIGHT) && touch $(BROWSER_VENV)/.installed; } \
	  || echo "note: Playwright for Python could not be installed; the browser tests will be skipped"
	@dpkg-query -W -f='$${Status}' chromium 2>/dev/null | grep -q "install ok installed" || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian package: chromium"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	      || echo "note: chromium could not be installed; the browser check will be skipped"; \
	  else \
	    echo "note: chromium is not installed; the browser check will be skipped"; \
	    echo "install it with: sudo apt-get install -y chromium"; \
	  fi; \
	}

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

# The preview's server tests run on their own: in one process with the others, whose trainings
# run synchronously on Swift's concurrency pool (one thread per core), its requests would wait
# minutes for a thread.
test: deps pydeps browserdeps
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	$(SWIFT) test $(BUILD_FLAGS) --skip-build --skip PreviewTests
	$(SWIFT) test $(BUILD_FLAGS) --skip-build --filter PreviewTests

# Runs every notebook (cached cells are reused) and writes output/<notebook>.html and .json, and
# output/index.html with all of them. PROFILE=full gives the assignment's settings.
PROFILE ?= quick
REPORT_TITLE ?= Autoencoders, measured: the assignment reproduced with LatentBook
report: build
	$(BIN) render notebooks --profile $(PROFILE) --threads $(THREADS) -o output --title "$(REPORT_TITLE)"

report-full:
	$(MAKE) report PROFILE=full

bench: build
	$(BIN) bench --threads $(THREADS)

# The preview's edit-to-page latency (bench/preview_latency.py): a notebook's cache warmed, then
# PREVIEW_EDITS prose edits saved and timed until Chromium shows them. Not part of `test`.
PREVIEW_NOTEBOOK ?= bench/twenty.md
PREVIEW_EDITS    ?= 20
.PHONY: bench-preview
bench-preview: build browserdeps
	$(BROWSER_VENV)/bin/python bench/preview_latency.py --latentbook $(BIN) --data "$(LATENTBOOK_DATA)" \
	  --notebook $(PREVIEW_NOTEBOOK) --edits $(PREVIEW_EDITS) --threads $(THREADS)

# Keras side-by-side training benchmark (bench/keras/keras_bench.py): the same autoencoders, MNIST
# images, batch and loss trained by TensorFlow/Keras on the CPU with $(THREADS) threads, to compare
# with our engine's throughput. The first run makes a venv in $(KERAS_VENV) from PyPI (a few
# minutes). Not part of `test`. KERAS_ARGS picks the run, e.g.
#   make bench-keras KERAS_ARGS="--mode throughput --arch deep --steps 60"
#   make bench-keras KERAS_ARGS="--mode faithful --epochs 3"
KERAS_VENV ?= .build/keras-venv
KERAS_ARGS ?= --mode throughput --arch baseline --steps 150
.PHONY: bench-keras keras-venv bench-compare
keras-venv:
	@[ -f $(KERAS_VENV)/.installed ] || { rm -rf $(KERAS_VENV) && python3 -m venv $(KERAS_VENV) \
	  && $(KERAS_VENV)/bin/pip install tensorflow-cpu==2.21.0 keras==3.15.1 numpy \
	  && touch $(KERAS_VENV)/.installed; } || { echo "bench-keras: could not set up $(KERAS_VENV)"; exit 1; }
bench-keras: keras-venv
	$(KERAS_VENV)/bin/python bench/keras/keras_bench.py --threads $(THREADS) $(KERAS_ARGS)

# LatentBook and Keras side by side in one run (bench/compare.py): rounds of both programs'
# throughput alternating on each model, then the faithfulness run in both; prints the table that
# BENCHMARKS.md records. About 10 minutes on the 2-core machines. Not part of `test`.
COMPARE_ARGS ?=
bench-compare: build keras-venv
	python3 bench/compare.py --latentbook $(BIN) --python $(KERAS_VENV)/bin/python --threads $(THREADS) $(COMPARE_ARGS)

# libFuzzer on the notebook parser, the planner (front matter and every cell's options), the IDX
# reader and the safetensors/checkpoint reader, one target after the other on one core: each for
# FUZZ_SECONDS, or for FUZZ_INPUTS inputs when that is set. Not part of `test`. A crash, a hang
# (an input over 1 s) or memory past 2 GB stops it and leaves the input in
# $(FUZZ_DIR)/artifacts/<target>/; see docs/robustness.md.
# FUZZ_SANITIZE=address adds AddressSanitizer and LeakSanitizer: a separate build, corpus,
# artifacts and logs in $(FUZZ_DIR)-address (the plain build is left alone; its corpus, when there
# is one, is read too), run with -detect_leaks=1, so an input that leaks memory or touches memory
# it should not also stops it. swiftc keeps only the last -sanitize= it is given, and SwiftPM
# passes one per --sanitize, so the Swift modules would get ASan without libFuzzer's coverage:
# -Xswiftc -sanitize=fuzzer,address (after SwiftPM's) gives them both.
FUZZ_SECONDS  ?= 60
FUZZ_INPUTS   ?=
FUZZ_TARGETS  ?= notebook plan idx safetensors
FUZZ_DIR      ?= .build/fuzz
FUZZ_SANITIZE ?=
FUZZ_OUT      := $(FUZZ_DIR)$(if $(FUZZ_SANITIZE),-$(FUZZ_SANITIZE))
FUZZ_BIN      := $(FUZZ_OUT)/debug/latentbook-fuzz
FUZZ_COMMA    := ,
FUZZ_FLAGS    := -timeout=1 -rss_limit_mb=2048$(if $(FUZZ_SANITIZE), -detect_leaks=1)
# Allocations LeakSanitizer cannot follow but that are not leaks (each entry says why).
FUZZ_ENV      := SWIFT_BACKTRACE=enable=no$(if $(FUZZ_SANITIZE), LSAN_OPTIONS=suppressions=$(abspath Fuzz/lsan.supp))
fuzz: deps
	@case "$(FUZZ_SANITIZE)" in ""|address) ;; \
	  *) echo "FUZZ_SANITIZE must be empty or address, not '$(FUZZ_SANITIZE)'"; exit 2;; esac
	$(SWIFT) build --package-path Fuzz --scratch-path $(abspath $(FUZZ_OUT)) --sanitize=fuzzer \
	  $(if $(FUZZ_SANITIZE),--sanitize=$(FUZZ_SANITIZE) -Xswiftc -sanitize=fuzzer$(FUZZ_COMMA)$(FUZZ_SANITIZE) )-Xswiftc -O
	$(if $(FUZZ_SANITIZE),ASAN_OPTIONS=detect_leaks=0 )$(FUZZ_BIN) seeds $(FUZZ_OUT)/seeds .
	@for t in $(FUZZ_TARGETS); do \
	  dict=Fuzz/dicts/$$t.dict; len=16384; \
	  case $$t in notebook|plan) dict=Fuzz/dicts/notebook.dict; len=4096;; esac; \
	  mkdir -p $(FUZZ_OUT)/corpus/$$t $(FUZZ_OUT)/artifacts/$$t; \
	  more=; $(if $(FUZZ_SANITIZE),[ -d $(FUZZ_DIR)/corpus/$$t ] && more=$(FUZZ_DIR)/corpus/$$t;) \
	  echo "fuzz $$t$(if $(FUZZ_SANITIZE), ($(FUZZ_SANITIZE))): $(if $(FUZZ_INPUTS),$(FUZZ_INPUTS) inputs,$(FUZZ_SECONDS) s) (log: $(FUZZ_OUT)/$$t.log)"; \
	  $(FUZZ_ENV) $(FUZZ_BIN) $$t $(if $(FUZZ_INPUTS),-runs=$(FUZZ_INPUTS),-max_total_time=$(FUZZ_SECONDS)) \
	    $(FUZZ_FLAGS) -max_len=$$len -dict=$$dict -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_OUT)/artifacts/$$t/ $(FUZZ_OUT)/corpus/$$t $$more $(FUZZ_OUT)/seeds/$$t \
	    > $(FUZZ_OUT)/$$t.log 2>&1 || { tail -40 $(FUZZ_OUT)/$$t.log; echo "fuzz $$t FAILED: see $(FUZZ_OUT)/$$t.log"; exit 1; }; \
	  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' $(FUZZ_OUT)/$$t.log; \
	done

clean:
	rm -rf .build
