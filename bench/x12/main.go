// Command x12 generates synthetic 837P files and measures how fast
// package claims/x12 reads them, with the peak memory of the process.
//
//	go run ./bench/x12 -gen /tmp/837p.edi -claims 2000000   # about 1 GB
//	go run ./bench/x12 /tmp/837p.edi                        # tokenize and parse
//	GOMAXPROCS=1 go run ./bench/x12 -fhir /tmp/837p.edi     # and convert to FHIR
//
// The data is synthetic (package x12test). Reading reports MB/s for the
// tokenizer alone and for the full parse (envelopes, loops, element
// checks), claims per second, and the peak resident set size. With -fhir
// it also converts every claim to FHIR JSON (parse, claims models,
// fhir/fromx12, fhir.Marshal) and reports claims per second; run it with
// GOMAXPROCS=1 for a per-core number.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/tributary-health/tributary/claims/x12"
	"github.com/tributary-health/tributary/claims/x12/x12test"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/fhir/fromx12"
)

func main() {
	gen := flag.String("gen", "", "write a synthetic 837P to this file instead of reading")
	claims := flag.Int("claims", 100000, "claims to generate (about 500 bytes each)")
	toFHIR := flag.Bool("fhir", false, "also convert every claim to FHIR JSON and report claims/s")
	flag.Parse()
	if *gen != "" {
		if err := generate(*gen, *claims); err != nil {
			log.Fatal(err)
		}
		return
	}
	if flag.NArg() != 1 {
		log.Fatal("usage: x12 [-gen FILE -claims N] | FILE")
	}
	if err := measure(flag.Arg(0), *toFHIR); err != nil {
		log.Fatal(err)
	}
}

func generate(path string, claims int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	n, err := x12test.Write837P(f, x12test.Options{Claims: claims, Newlines: true})
	if err != nil {
		f.Close()
		return err
	}
	fmt.Printf("wrote %d claims, %d bytes to %s\n", claims, n, path)
	return f.Close()
}

func measure(path string, toFHIR bool) error {
	size, segs, d, err := run(path, func(r io.Reader) (int, error) {
		rd := x12.NewReader(r)
		n := 0
		for {
			if _, err := rd.Next(); err == io.EOF {
				return n, nil
			} else if err != nil {
				return n, err
			}
			n++
		}
	})
	if err != nil {
		return err
	}
	fmt.Printf("tokenize: %d segments, %.1f MB/s\n", segs, float64(size)/1e6/d.Seconds())
	size, claims, d, err := run(path, func(r io.Reader) (int, error) {
		p := x12.NewParser(r)
		n, bad := 0, 0
		for {
			tx, err := p.Next()
			if err == io.EOF {
				break
			} else if err != nil {
				return n, err
			}
			if tx.Root != nil {
				n += len(tx.Root.Find("2300"))
			}
			if !tx.Accepted() {
				bad++
			}
		}
		if bad > 0 {
			return n, fmt.Errorf("%d transaction sets with errors", bad)
		}
		return n, nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("parse: %d claims, %.1f MB/s, %.0f claims/s\n", claims, float64(size)/1e6/d.Seconds(), float64(claims)/d.Seconds())
	if toFHIR {
		var out int64
		size, claims, d, err = run(path, func(r io.Reader) (int, error) {
			var n int
			n, out, err = convert(r)
			return n, err
		})
		if err != nil {
			return err
		}
		fmt.Printf("to FHIR: %d claims, %.1f MB/s, %.0f claims/s (GOMAXPROCS=%d), %.0f bytes of FHIR JSON per claim\n",
			claims, float64(size)/1e6/d.Seconds(), float64(claims)/d.Seconds(), runtime.GOMAXPROCS(0), float64(out)/float64(claims))
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		fmt.Printf("peak RSS: %.1f MB\n", float64(ru.Maxrss)/1024) // Linux reports KiB
	}
	return nil
}

func run(path string, f func(io.Reader) (int, error)) (int64, int, time.Duration, error) {
	file, err := os.Open(path)
	if err != nil {
		return 0, 0, 0, err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return 0, 0, 0, err
	}
	start := time.Now()
	n, err := f(file)
	return st.Size(), n, time.Since(start), err
}

// convert parses r and maps every claim to FHIR JSON, as `tributary
// convert --format x12` does (without writing the Bundle); it returns the
// claims and the bytes of JSON made.
func convert(r io.Reader) (int, int64, error) {
	m, err := fromx12.New(fromx12.Config{})
	if err != nil {
		return 0, 0, err
	}
	p := x12.NewParser(r)
	var claims int
	var out int64
	for {
		tx, err := p.Next()
		if err == io.EOF {
			return claims, out, nil
		} else if err != nil {
			return claims, out, err
		}
		if !tx.Accepted() {
			return claims, out, tx.Err()
		}
		err = m.Each(tx, func(res fromx12.Result) error {
			for _, e := range res.Entries {
				if fhir.TypeOf(e.Resource) == "Claim" {
					claims++
				}
				b, err := fhir.Marshal(e.Resource)
				if err != nil {
					return err
				}
				out += int64(len(b))
			}
			return nil
		})
		if err != nil {
			return claims, out, err
		}
	}
}
