# The README's two commands are `make run` and `make test`.
GO ?= go
FUZZTIME ?= 20000x

.PHONY: build run test test-quick fuzz generate check-generated bench

build:
	$(GO) build -o bin/openpca ./cmd/openpca

# Build and start the server on its embedded defaults.
run: build
	./bin/openpca serve

# The whole test suite: unit, store conformance, real-client end-to-end tests,
# with the S3-compatible test server started (and built once) by the script.
test:
	./scripts/test.sh

# The inner loop (under a minute): every package's own tests, without the
# real-client suites of internal/server and cmd/openpca or the test servers
# (tests that need one skip).
test-quick:
	$(GO) test $$($(GO) list ./... | grep -v -e /internal/server$$ -e /cmd/openpca$$)

# Short runs of every fuzz target, on top of the committed seed corpora.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

generate:
	$(GO) generate ./...

check-generated:
	./scripts/check-generated.sh

bench:
	$(GO) test -run '^$$' -bench . -benchtime 5s ./internal/server/ ./internal/crl/
