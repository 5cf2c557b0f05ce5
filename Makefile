# Common tasks. The README's two commands need nothing but Go and PostgreSQL;
# this file only names what developers type often.

GO ?= go
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build run demo test test-race lint fuzz bench ci clean

build:
	$(GO) build -o bin/tributary ./cmd/tributary

run:
	$(GO) run ./cmd/tributary run

demo:
	$(GO) run ./cmd/tributary run --demo

test:
	$(GO) test ./...

test-race:
	$(GO) test -race ./...

lint:
	gofmt -l $$(git ls-files '*.go')
	$(GO) vet ./...
	$(STATICCHECK) ./...

# Each parser's fuzzer for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./adapters/hl7v2 -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./adapters/mllp -run '^$$' -fuzz '^FuzzFramer$$' -fuzztime $(FUZZTIME)

bench:
	$(GO) run ./bench/e2e

ci:
	./.ci/run

clean:
	rm -rf bin var
