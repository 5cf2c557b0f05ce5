package fromcdc_test

import (
	"fmt"
	"strings"

	"github.com/tributary-health/tributary/adapters/cdc"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/fhir/fromcdc"
)

func ExampleMapper_Convert() {
	mapping, err := fromcdc.Load(strings.NewReader(`{
	  "version": 1,
	  "params": {"payer": "SYNPAYER"},
	  "tables": {"MEMBER": {"resources": [{
	    "type": "Patient",
	    "id": {"from": "member", "payer": {"param": "payer"}, "member": {"column": "MEMBER_ID", "transforms": ["trim"]}},
	    "identifier": true,
	    "fields": [
	      {"path": "name[0].family", "column": "LAST_NM", "transforms": ["trim"]},
	      {"path": "birthDate", "column": "BIRTH_DT", "transforms": [{"nullIf": ["0"]}, {"date": "CCYYMMDD"}]},
	      {"path": "gender", "column": "SEX_CD", "transforms": [{"map": {"M": "male", "F": "female"}, "default": "unknown"}]}
	    ]}]}}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := fromcdc.New(fromcdc.Config{Mapping: mapping})
	if err != nil {
		fmt.Println(err)
		return
	}
	ev, err := cdc.Parse(nil, []byte(`{"before":null,
	  "after":{"MEMBER-ID":"M00042    ","LAST-NM":"EXAMPLE   ","BIRTH-DT":19800214,"SEX-CD":"F"},
	  "source":{"version":"tributary","connector":"copybook","name":"mainframe","ts_ms":1764152400000,"snapshot":"true","table":"MEMBER","file":"MEMBER.UNLOAD.D20261126","record":1},
	  "op":"r"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := m.Convert(ev)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range res.Entries {
		b, _ := fhir.Marshal(e.Resource)
		fmt.Println(res.Op, res.Position, e.Type+"/"+e.ID == "Patient/"+fhir.ID("Patient", "urn:tributary:payer:SYNPAYER:member", "M00042"))
		fmt.Println(strings.Replace(string(b), e.ID, "<id>", 1))
	}
	// Output:
	// r copybook/mainframe/file=MEMBER.UNLOAD.D20261126,record=1 true
	// {"birthDate":"1980-02-14","gender":"female","id":"<id>","identifier":[{"system":"urn:tributary:payer:SYNPAYER:member","value":"M00042"}],"name":[{"family":"EXAMPLE"}],"resourceType":"Patient"}
}

func ExampleLoad() {
	_, err := fromcdc.Load(strings.NewReader(`{"version":1,"tables":{"MEMBER":{"resources":[{"type":"Patient",
	  "id":{"from":"member","payer":{"const":"P"},"member":{"column":"MEMBER_ID"}},
	  "fields":[{"path":"birthDate","column":"BIRTH_DT","transforms":["foo"]}]}]}}}`))
	fmt.Println(err)
	// Output:
	// fromcdc: mapping: tables.MEMBER.resources[0].fields[0].transforms[0]: unknown transform "foo"
}
