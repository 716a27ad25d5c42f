package oplog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
)

func TestHistorySurvivesRestartAndStaysBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	l, err := Open(path, 3)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 5 {
		op, err := l.Start(Operation{Kind: "backup", Job: fmt.Sprint("job", i), Trigger: Scheduled})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, op.ID)
		var ferr error
		if i == 1 {
			ferr = errors.New("disk full")
		}
		if err := l.Finish(op.ID, ferr, func(op *Operation) { op.Bytes = uint64(i) }); err != nil {
			t.Fatal(err)
		}
	}
	running, err := l.Start(Operation{Kind: "prune", Trigger: Manual})
	if err != nil {
		t.Fatal(err)
	}
	// A new process reads the file: the newest three are kept, the one
	// running when the writer stopped is a failure.
	l2, err := Open(path, 3)
	if err != nil {
		t.Fatal(err)
	}
	got := l2.List(0)
	var summary []string
	for _, op := range got {
		summary = append(summary, op.Kind+":"+op.Job+":"+op.Status)
	}
	want := "prune::failure backup:job4:success backup:job3:success"
	if strings.Join(summary, " ") != want {
		t.Errorf("history after restart: %q, want %q", strings.Join(summary, " "), want)
	}
	if op, ok := l2.Get(running.ID); !ok || op.Finished == nil || !strings.Contains(op.Error, "stopped before") {
		t.Errorf("the interrupted operation: %+v, %v", op, ok)
	}
	if _, ok := l2.Get(ids[0]); ok {
		t.Error("the oldest operation is still kept beyond the bound")
	}
	if op, _ := l2.Get(ids[4]); op.Bytes != 4 || op.Seconds < 0 {
		t.Errorf("what the operation did is lost: %+v", op)
	}
	// The file does not grow without bound: it is rewritten.
	for range 20 {
		op, _ := l2.Start(Operation{Kind: "check"})
		_ = l2.Finish(op.ID, nil, nil)
	}
	b, _ := os.ReadFile(path)
	if n := strings.Count(string(b), "\n"); n > 2*3+1 {
		t.Errorf("history file has %d records for a bound of 3", n)
	}
}

func TestDamagedLineIsSkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	good := `{"id":"a","kind":"backup","status":"success","started":"2026-01-01T00:00:00Z"}`
	if err := os.WriteFile(path, []byte(good+"\n{\"id\":\"b\",\"ki"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Open(path, 10)
	if err != nil {
		t.Fatal(err)
	}
	if ops := l.List(0); len(ops) != 1 || ops[0].ID != "a" {
		t.Errorf("history of a file cut mid-line: %+v", ops)
	}
}

func TestSubscribersSeeEveryStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, err := Open(filepath.Join(t.TempDir(), "h"), 10)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		ch := l.Subscribe(ctx)
		op, _ := l.Start(Operation{Kind: "restore"})
		l.Update(op.ID, func(op *Operation) { op.Bytes = 10; AddLine(op, "info", "half way") })
		_ = l.Finish(op.ID, nil, nil)
		var seen []string
		for range 3 {
			o := <-ch
			seen = append(seen, fmt.Sprint(o.Status, o.Bytes, len(o.Log)))
		}
		if got := strings.Join(seen, " "); got != "running0 0 running10 1 success10 1" {
			t.Errorf("subscriber saw %q", got)
		}
		cancel()
		synctest.Wait()
		if _, open := <-ch; open {
			t.Error("the channel stays open after its context ended")
		}
	})
}

func TestLongLogKeepsHeadAndTail(t *testing.T) {
	for _, tc := range []struct {
		lines int
		gap   string // the line that stands for the ones left out, if any
	}{
		{lines: maxLines},
		{lines: maxLines + 1, gap: "(2 lines left out)"},
		{lines: 1000, gap: fmt.Sprintf("(%d lines left out)", 1000-maxLines+1)},
	} {
		op := &Operation{}
		for i := range tc.lines {
			AddLine(op, "info", fmt.Sprint(i))
		}
		trimLines(op)
		first, last := op.Log[0].Text, op.Log[len(op.Log)-1].Text
		if first != "0" || last != fmt.Sprint(tc.lines-1) {
			t.Errorf("%d lines: first %q, last %q", tc.lines, first, last)
		}
		switch {
		case tc.gap == "" && len(op.Log) != tc.lines:
			t.Errorf("%d lines: trimmed to %d, want them all", tc.lines, len(op.Log))
		case tc.gap != "" && (len(op.Log) != maxLines || op.Log[maxLines/2].Text != tc.gap):
			t.Errorf("%d lines: %d kept with %q in the middle, want %d with %q", tc.lines, len(op.Log), op.Log[maxLines/2].Text, maxLines, tc.gap)
		}
	}
}
