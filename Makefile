# The newcomer's entry points. Everything builds into build/.
#   make demo   install what is missing, build, train the demo model on real data
#   make test   install what is missing, build, run every test
#   make bench  build and run the benchmarks (figures go to docs/benchmarks.md by hand)
#   make asan   the test suite under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)
#   make fuzz   the libFuzzer harnesses, FUZZ_SECONDS each (build-fuzz/)
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

FUZZ_SECONDS ?= 60

.PHONY: all deps configure build test demo bench asan fuzz format clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	$(BUILD)/examples/fashion_mnist_mlp

bench: build
	scripts/run-benchmarks $(BUILD)

asan: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DASAN=ON -DKERAS_BUILD_BENCHMARKS=OFF -DKERAS_BUILD_EXAMPLES=OFF
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

# libFuzzer harnesses (fuzz/*_fuzz.cpp), each run for FUZZ_SECONDS on its corpus in fuzz/corpus/<name>.
fuzz: deps
	CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKERAS_FUZZ=ON -DKERAS_BUILD_TESTS=OFF -DKERAS_BUILD_BENCHMARKS=OFF -DKERAS_BUILD_EXAMPLES=OFF
	cmake --build build-fuzz -j $(JOBS)
	scripts/run-fuzzers build-fuzz $(FUZZ_SECONDS)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) build-asan
