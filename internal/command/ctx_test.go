package command

import (
	"reflect"
	"testing"
	"unsafe"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
)

// reset leaves a reused context as a new one would be: every field, those
// added after it was written included, is set from scratch (this test
// fills each with something first, so a field reset forgets fails here).
func TestCtxReset(t *testing.T) {
	e := NewEngine(keyspace.New(2))
	c := &Ctx{E: e}
	v := reflect.ValueOf(c).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
		if v.Type().Field(i).Name == "E" {
			continue // the engine owns its contexts: set once
		}
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int, reflect.Int64:
			f.SetInt(7)
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		default:
			t.Fatalf("field %s of kind %v: teach this test to fill it", v.Type().Field(i).Name, f.Kind())
		}
	}
	s := &Session{W: &resp.Writer{}}
	spec := &Spec{Name: "x"}
	args := [][]byte{[]byte("x")}
	db := e.KS.DBs[1]
	c.reset(args, s, spec, db, true)
	want := Ctx{Args: args, W: s.W, S: s, E: e, DB: db, Spec: spec, InExec: true}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("after reset:\n%+v\nwant\n%+v", *c, want)
	}
}
