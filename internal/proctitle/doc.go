// Package proctitle sets the process title that ps, top and
// /proc/<pid>/cmdline show, as Redis's set-proc-title does: the server
// names itself by its template (proc-title-template), such as
// "tandem 127.0.0.1:6380".
//
// Linux shows a process's command line from the memory that held its
// arguments when it started, followed by its environment. Setting a title
// writes over that memory, so Take must run first thing in main: it moves
// what Go still reads from there (os.Args and the environment) to the
// heap before anything else keeps a reference into it. Only a program's
// main may call it; an embedding program never does.
package proctitle
