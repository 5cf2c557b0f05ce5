package claims_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"

	"github.com/tributary-health/tributary/claims"
	"github.com/tributary-health/tributary/claims/x12"
	"github.com/tributary-health/tributary/claims/x12/x12test"
)

// Read an 837 stream one transaction set at a time and build one claim
// at a time: memory stays bounded by the largest transaction set.
func ExampleEach837() {
	var file bytes.Buffer
	if _, err := x12test.Write837P(&file, x12test.Options{Claims: 3, Lines: 2}); err != nil {
		log.Fatal(err)
	}
	p := x12.NewParser(&file)
	for {
		tx, err := p.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		err = claims.Each837(tx, func(c *claims.Claim) error {
			person, _ := c.PatientPerson()
			fmt.Println(c.Kind, c.PatientControlNumber, c.TotalCharge, len(c.Lines), "lines, patient is subscriber:",
				c.PatientIsSubscriber(), person.EntityCode)
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	// Output:
	// professional PCN1 200.00 2 lines, patient is subscriber: true IL
	// professional PCN2 200.00 2 lines, patient is subscriber: true IL
	// professional PCN3 200.00 2 lines, patient is subscriber: false QC
}

func ExampleParseMoney() {
	for _, s := range []string{"1234.5", "-12", ".75", "100.00", "1.2500", "1.255"} {
		m, err := claims.ParseMoney(s)
		fmt.Println(m.Cents(), m, err)
	}
	// Output:
	// 123450 1234.50 <nil>
	// -1200 -12.00 <nil>
	// 75 0.75 <nil>
	// 10000 100.00 <nil>
	// 125 1.25 <nil>
	// 0 0.00 monetary amount has more than 2 decimal places
}
