# CriRuntime: `make run` serves the runtime on the default socket; `make test` runs every check CI runs.
PREFIX       ?= /usr/local
SYSCONFDIR   ?= /etc
DOTNET       ?= dotnet
OUT          := out/bin
DAEMON       := $(OUT)/criruntime
CNI_CONF_DIR ?= /etc/cni/net.d
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: all deps build daemon native debug run install test unit-test integration-test native-test \
        check-wire lint fmt bench bench-all bench-startup bench-launcher bench-authority bench-pull bench-pods clean

all: build

deps:
	@hack/install-deps.sh

## build: the Native AOT daemon and the native programs, into out/bin
build: deps daemon native

daemon:
	$(DOTNET) publish src/CriRuntime/CriRuntime.csproj -c Release -r linux-x64 -o $(OUT) --nologo -v quiet

## native: our OCI runtime (criruntime-launch) and the pods' pause binary, into out/bin
native:
	$(MAKE) -C src/launcher
	@mkdir -p $(OUT) && install -m 0755 src/launcher/out/criruntime-launch $(OUT)/
	$(MAKE) -C src/pause OUT=$(CURDIR)/$(OUT)

## debug: the JIT build used by `dotnet test` while developing
debug:
	$(DOTNET) build CriRuntime.sln --nologo -v quiet

## install: binaries to $(PREFIX)/bin, a config file if none exists, the default CNI network if none exists
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSCONFDIR)/criruntime $(DESTDIR)$(CNI_CONF_DIR)
	install -m 0755 $(DAEMON) $(DESTDIR)$(PREFIX)/bin/criruntime
	install -m 0755 $(OUT)/criruntime-launch $(OUT)/criruntime-pause $(DESTDIR)$(PREFIX)/bin/
	@[ -f $(DESTDIR)$(SYSCONFDIR)/criruntime/criruntime.toml ] || $(DAEMON) config > $(DESTDIR)$(SYSCONFDIR)/criruntime/criruntime.toml
	@ls $(DESTDIR)$(CNI_CONF_DIR)/*.conf* >/dev/null 2>&1 || install -m 0644 cni/10-criruntime.conflist $(DESTDIR)$(CNI_CONF_DIR)/

## run: install what is missing, build, and serve on /run/criruntime/criruntime.sock
run: install
	exec $(PREFIX)/bin/criruntime

## test: everything CI checks; ends with one line "tests: N passed, M failed"
test: deps check-wire lint build debug
	@CRIRUNTIME_TEST_BINARY=$(CURDIR)/$(DAEMON) CRIRUNTIME_TEST_OUT=$(CURDIR)/$(OUT) hack/run-tests.sh

unit-test: debug
	$(DOTNET) test tests/CriRuntime.Tests --no-build --nologo

integration-test: debug
	$(DOTNET) test tests/CriRuntime.IntegrationTests --no-build --nologo

native-test: native
	$(MAKE) -C src/launcher test

check-wire:
	../shared/tools/check-cri-wire api

lint:
	$(DOTNET) format whitespace CriRuntime.sln --verify-no-changes
	@git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' | xargs -r clang-format --dry-run --Werror

fmt:
	$(DOTNET) format whitespace CriRuntime.sln
	@git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' | xargs -r clang-format -i

## bench: figures, not tests (see README)
bench: build
	hack/bench

## bench-all: the comparison table, then every focused benchmark
bench-all: bench bench-startup bench-launcher bench-authority bench-pull bench-pods

bench-launcher: native
	hack/bench-launcher

bench-startup: build
	hack/bench-startup

bench-authority: build
	hack/bench-authority

bench-pull: build
	hack/bench-pull

bench-pods: build
	hack/bench-pods

clean:
	rm -rf out
	$(DOTNET) clean CriRuntime.sln --nologo -v quiet
	$(MAKE) -C src/launcher clean
	$(MAKE) -C src/pause clean OUT=$(CURDIR)/$(OUT)
