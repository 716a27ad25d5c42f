// Command testapp is the program inside the image drydock's Docker tests
// run. It is built statically and imported as the image's only file, so it
// needs no shell and no base image.
//
//	testapp run [-dir D] [-interval I] [-ready-after R] [-touch] [-ignore-term]
//	    append a line to D/<hostname>.log every I until SIGTERM/SIGINT,
//	    then exit 0; after R, mark itself ready for `health`; with -touch,
//	    also set the mtime of every file below D to now every I, as an app
//	    that keeps rewriting its data does (a backup must read it all again);
//	    with -ignore-term, SIGTERM is caught and ignored, as by an app that
//	    does not honour its stop signal: only Docker's SIGKILL after the
//	    stop timeout ends it
//	testapp health       exit 0 when `run` is ready, 1 otherwise
//	testapp dump PATH    write a dump file, print what it did
//	testapp exit N MSG   print MSG to stdout and stderr, exit N
//	testapp emit N SEED  write N bytes of a deterministic stream (Emit) to
//	    stdout, as a dump command does
//	testapp sleep D      sleep for duration D
//	testapp mark PATH    append a line (host name and time) to PATH, as a
//	    hook whose runs a test counts
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/emit"
)

const readyFile = "/testapp-ready"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: testapp run|health|dump|exit|emit|sleep|mark|exists")
		os.Exit(2)
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "run":
		run(args)
	case "health":
		if _, err := os.Stat(readyFile); err != nil {
			fmt.Println("not ready")
			os.Exit(1)
		}
		fmt.Println("ok")
	case "dump":
		if len(args) != 1 {
			fail("dump PATH")
		}
		data := fmt.Sprintf("dump at %s\n", time.Now().Format(time.RFC3339Nano))
		if err := os.WriteFile(args[0], []byte(data), 0o644); err != nil {
			fail(err.Error())
		}
		fmt.Printf("dumped %d bytes to %s\n", len(data), args[0])
	case "exit":
		if len(args) < 1 {
			fail("exit N [MSG]")
		}
		code, err := strconv.Atoi(args[0])
		if err != nil {
			fail(err.Error())
		}
		if len(args) > 1 {
			fmt.Println(args[1])
			fmt.Fprintln(os.Stderr, args[1])
		}
		os.Exit(code)
	case "emit":
		if len(args) != 2 {
			fail("emit N SEED")
		}
		n, err1 := strconv.ParseInt(args[0], 10, 64)
		seed, err2 := strconv.ParseUint(args[1], 10, 64)
		if err1 != nil || err2 != nil {
			fail("emit N SEED: want numbers")
		}
		w := bufio.NewWriterSize(os.Stdout, 1<<20)
		if _, err := io.CopyN(w, emit.Stream(seed), n); err != nil {
			fail(err.Error())
		}
		if err := w.Flush(); err != nil {
			fail(err.Error())
		}
	case "mark":
		if len(args) != 1 {
			fail("mark PATH")
		}
		host, _ := os.Hostname()
		f, err := os.OpenFile(args[0], os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fail(err.Error())
		}
		if _, err := fmt.Fprintf(f, "%s %s\n", host, time.Now().Format(time.RFC3339Nano)); err != nil {
			fail(err.Error())
		}
		if err := f.Close(); err != nil {
			fail(err.Error())
		}
	case "exists":
		// For drydock.verify checks: exit 0 only if every path exists.
		for _, p := range args {
			if _, err := os.Stat(p); err != nil {
				fmt.Println(err)
				os.Exit(1)
			}
		}
		fmt.Println("all there")
	case "sleep":
		d, err := time.ParseDuration(args[0])
		if err != nil {
			fail(err.Error())
		}
		time.Sleep(d)
	default:
		fail("unknown command " + os.Args[1])
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "testapp:", msg)
	os.Exit(2)
}

func run(args []string) {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	dir := fs.String("dir", "", "directory to write to (none when empty)")
	interval := fs.Duration("interval", 200*time.Millisecond, "write interval")
	readyAfter := fs.Duration("ready-after", 0, "delay before reporting healthy")
	touch := fs.Bool("touch", false, "set the mtime of every file below -dir to now at each write")
	ignoreTerm := fs.Bool("ignore-term", false, "ignore SIGTERM (a handler is still installed: PID 1 of a container only gets the signals it handles)")
	_ = fs.Parse(args)

	_ = os.Remove(readyFile) // left over from a previous run of this container
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	host, _ := os.Hostname()
	var out *os.File
	if *dir != "" {
		f, err := os.OpenFile(filepath.Join(*dir, host+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fail(err.Error())
		}
		defer f.Close()
		out = f
	}
	ready := time.After(*readyAfter)
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case s := <-sig:
			if *ignoreTerm && s == syscall.SIGTERM {
				fmt.Println("got", s, "- ignoring it")
				continue
			}
			fmt.Println("got", s, "- exiting")
			return
		case <-ready:
			_ = os.WriteFile(readyFile, nil, 0o644)
		case t := <-tick.C:
			if out != nil {
				fmt.Fprintf(out, "%d %s\n", n, t.Format(time.RFC3339Nano))
			}
			if *touch && *dir != "" {
				touchAll(*dir, t)
			}
		}
	}
}

// touchAll sets the times of every regular file below dir to t.
func touchAll(dir string, t time.Time) {
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			_ = os.Chtimes(p, t, t)
		}
		return nil
	})
}
