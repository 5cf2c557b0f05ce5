// Command x12 generates synthetic 837P files and measures how fast
// package claims/x12 reads them, with the peak memory of the process.
//
//	go run ./bench/x12 -gen /tmp/837p.edi -claims 2000000   # about 1 GB
//	go run ./bench/x12 /tmp/837p.edi                        # tokenize and parse
//
// The data is synthetic (package x12test). Reading reports MB/s for the
// tokenizer alone and for the full parse (envelopes, loops, element
// checks), claims per second, and the peak resident set size.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"syscall"
	"time"

	"github.com/tributary-health/tributary/claims/x12"
	"github.com/tributary-health/tributary/claims/x12/x12test"
)

func main() {
	gen := flag.String("gen", "", "write a synthetic 837P to this file instead of reading")
	claims := flag.Int("claims", 100000, "claims to generate (about 500 bytes each)")
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
	if err := measure(flag.Arg(0)); err != nil {
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

func measure(path string) error {
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
