package copybook_test

import (
	"fmt"

	"github.com/tributary-health/tributary/adapters/cdc/copybook"
)

func ExampleDecoder_AppendJSON() {
	cb, err := copybook.Parse([]byte(`
       01  MEMBER.
           05  MEMBER-ID      PIC X(6).
           05  BALANCE        PIC S9(5)V99 COMP-3.
           05  VISITS         PIC 9(2).
           05  VISIT          OCCURS 0 TO 9 DEPENDING ON VISITS.
               10  VISIT-DATE PIC 9(8).
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	dec, err := copybook.NewDecoder(cb, copybook.Config{Encoding: copybook.CP037})
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := []byte{
		0xD4, 0xF0, 0xF0, 0xF0, 0xF4, 0xF2, // "M00042"
		0x01, 0x23, 0x45, 0x6D, // -1234.56
		0xF0, 0xF1, // 1 visit
		0xF2, 0xF0, 0xF2, 0xF6, 0xF1, 0xF1, 0xF2, 0xF5,
	}
	rec = append(rec, make([]byte, dec.Size()-len(rec))...) // the unused table elements
	out, err := dec.AppendJSON(nil, rec)
	fmt.Println(string(out), err)
	// Output:
	// {"MEMBER-ID":"M00042","BALANCE":-1234.56,"VISITS":1,"VISIT":[{"VISIT-DATE":20261125}]} <nil>
}
