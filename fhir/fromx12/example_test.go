package fromx12_test

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tributary-health/tributary/claims/x12"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/fhir/fromx12"
)

// Convert an 835, one claim payment at a time.
func ExampleMapper_Each() {
	f, err := os.Open("testdata/835_institutional.x12")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	m, err := fromx12.New(fromx12.Config{})
	if err != nil {
		panic(err)
	}
	p := x12.NewParser(f)
	for {
		tx, err := p.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			panic(err)
		}
		err = m.Each(tx, func(r fromx12.Result) error {
			for _, e := range r.Entries {
				if _, err := fhir.Marshal(e.Resource); err != nil {
					return err
				}
				fmt.Println(fhir.TypeOf(e.Resource))
			}
			return nil
		})
		if err != nil {
			panic(err)
		}
	}
	// Output:
	// Organization
	// Organization
	// ExplanationOfBenefit
	// ClaimResponse
	// ExplanationOfBenefit
	// ClaimResponse
	// PaymentReconciliation
}
