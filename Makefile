# pinlab -- thin entry points; the logic lives in scripts/.
#   make serve [PORT=8080]   install missing tools, then serve the web app with live rebuilds
#   make test                install missing tools, then fmt, clippy, native + browser tests,
#                            conformance check and the end-to-end test
#   make build               release build of the web app into dist/
#   make bench               criterion benches, payload, browser latency; writes the numbers
#                            into BENCHMARKS.md (its generated section)
#   make clean               remove build outputs (cargo target/ and dist/)
#   make versions            pinned tool versions and what is installed
#   make kernel-check [CASES="a b"]  check the model against Linux 6.1 in qemu (oracle/cases/;
#                            see docs/fidelity.md)
#   make kernel-fuzz [N=1000 SEED=1]  differential run: N random scripts, model vs Linux 6.1
#   make kernel-selftests    run the kernel's mm selftest `cow` on Linux 6.1 in qemu, record its
#                            TAP in oracle/selftests/ and check pinlab's cow cases against it
#   make fuzz [SECONDS=20 TARGETS="parse run link"]  coverage-guided fuzzing of the model on
#                            stable Rust (fuzz/, libFuzzer): SECONDS per target; fails on any
#                            crash or hang (see scripts/fuzz.sh)
PORT ?= 8080

.PHONY: all bootstrap serve build test e2e bench wasm-size versions clean kernel-check kernel-fuzz kernel-selftests fuzz

all: test

bootstrap:
	@scripts/bootstrap.sh

serve: bootstrap
	@PORT=$(PORT) scripts/serve.sh

build: bootstrap
	@scripts/build.sh

test: bootstrap
	@scripts/test.sh

e2e: bootstrap
	@scripts/e2e.sh

bench: bootstrap
	@scripts/bench.sh

wasm-size: bootstrap
	@scripts/wasm-size.sh

versions:
	@scripts/versions.sh

kernel-check:
	@scripts/kernel-check.sh $(CASES)

N ?= 1000
SEED ?= 1
kernel-fuzz:
	@FUZZ=$(N) FUZZ_SEED=$(SEED) scripts/kernel-check.sh

kernel-selftests:
	@scripts/kernel-selftests.sh

SECONDS ?= 20
TARGETS ?=
fuzz:
	@FUZZ_SECONDS=$(SECONDS) scripts/fuzz.sh $(TARGETS)

clean:
	cargo clean
	rm -rf dist
