package aof

import (
	"errors"
	"testing"
)

func TestCrashFSKeepsOnlySyncedBytes(t *testing.T) {
	m := NewCrashFS()
	m.MkdirAll("/d")
	f, _ := m.Create("/d/f")
	m.SyncDir("/d")
	f.Write([]byte("hello "))
	f.Sync()
	f.Write([]byte("world"))
	if b, _ := m.ReadFile("/d/f"); string(b) != "hello world" {
		t.Fatalf("before crash: %q", b)
	}
	m.Crash()
	if b, _ := m.ReadFile("/d/f"); string(b) != "hello " {
		t.Fatalf("after crash: %q, want only the synced bytes", b)
	}
}

func TestCrashFSDirectoryChangesNeedSyncDir(t *testing.T) {
	m := NewCrashFS()
	m.MkdirAll("/d")
	m.WriteFile("/d/old", []byte("old"))
	f, _ := m.Create("/d/new")
	f.Write([]byte("new"))
	f.Sync()
	m.Rename("/d/old", "/d/renamed")
	m.Crash()
	if _, err := m.ReadFile("/d/new"); err == nil {
		t.Fatal("a file created without a directory fsync survived the crash")
	}
	if b, err := m.ReadFile("/d/old"); err != nil || string(b) != "old" {
		t.Fatalf("an un-synced rename was kept: %q %v", b, err)
	}

	f, _ = m.Create("/d/new")
	f.Write([]byte("new"))
	f.Sync()
	m.Rename("/d/old", "/d/renamed")
	m.SyncDir("/d")
	m.Crash()
	if b, _ := m.ReadFile("/d/new"); string(b) != "new" {
		t.Fatalf("synced file lost: %q", b)
	}
	if b, _ := m.ReadFile("/d/renamed"); string(b) != "old" {
		t.Fatalf("synced rename lost: %q", b)
	}
}

func TestCrashFSHandlesDieWithTheProcess(t *testing.T) {
	m := NewCrashFS()
	m.MkdirAll("/d")
	f, _ := m.Create("/d/f")
	m.Crash()
	if _, err := f.Write([]byte("x")); !errors.Is(err, errCrashed) {
		t.Fatalf("write after crash: %v", err)
	}
	if err := f.Sync(); !errors.Is(err, errCrashed) {
		t.Fatalf("sync after crash: %v", err)
	}
}

func TestCrashFSInjectsErrors(t *testing.T) {
	m := NewCrashFS()
	m.MkdirAll("/d")
	f, _ := m.Create("/d/f")
	boom := errors.New("boom")
	m.FailWrite = func(name string, p []byte) (int, error) { return 2, boom }
	n, err := f.Write([]byte("abcdef"))
	if n != 2 || err != boom {
		t.Fatalf("write: %d %v", n, err)
	}
	if b, _ := m.ReadFile("/d/f"); string(b) != "ab" {
		t.Fatalf("short write left %q", b)
	}
	m.FailWrite = nil
	m.FailSync = func(string) error { return boom }
	if err := f.Sync(); err != boom {
		t.Fatalf("sync: %v", err)
	}
}
