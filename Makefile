# The README's two commands are `make run` and `make test`.
GO ?= go
FUZZTIME ?= 20000x

.PHONY: build run test fuzz generate check-generated bench

build:
	$(GO) build -o bin/openpca ./cmd/openpca

# Build and start the server on its embedded defaults.
run: build
	./bin/openpca serve

# The whole test suite: unit, store conformance, real-client end-to-end tests,
# with the S3-compatible test server started (and built once) by the script.
test:
	./scripts/test.sh

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
