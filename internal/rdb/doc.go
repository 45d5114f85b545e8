// Package rdb reads and writes Redis RDB snapshots compatible with Redis 7.0
// (RDB version 10), using a neutral value model (Entry) that knows nothing
// about the server's keyspace.
//
// # Reading
//
// Load streams a file through a Handler: AUX fields, RESIZEDB hints,
// function libraries, and one Entry per key. It reads every file Redis 7.0
// loads — versions 1 to 10, object types 0–19 (plus 20 and 21 of Redis 7.2)
// in all their encodings — verifies the CRC-64 and checks compact encodings
// as strictly as redis-check-rdb does. Keys that Redis would not load as
// values are reported through Handler.Skip: empty collections (Redis logs
// "skipping empty key") and streams, which are parsed and skipped so that
// the keys after them still load. Module values fail with
// ErrModuleNotSupported; MODULE_AUX records are skipped generically.
//
// The decoder never trusts a length for allocation: strings are read in
// bounded chunks as data arrives, compressed strings are checked against
// what their compressed bytes can expand to, and counts only drive loops
// that consume input. Memory is therefore proportional to the input, though
// a decoded collection costs a slice header per element on top of its
// bytes. The Entry given to the Handler and everything it points to are
// reused for the next key.
//
// # Writing
//
// Encoder writes what Redis 7.0 would write for the same data with the same
// configuration: the same type choices, string encodings, listpacks and
// intsets (files Redis wrote are reproduced byte for byte when their values
// fit this model), LZF compression of long strings, and the CRC-64.
//
// # File format
//
// All multi-byte integers are little endian unless noted.
//
//	file    = "REDIS" version(4 ASCII digits) { record } 0xFF crc64(8 bytes, version >= 5)
//	record  = 0xFA AUX      key:STRING value:STRING
//	        | 0xFB RESIZEDB db_size:LEN expires_size:LEN
//	        | 0xFE SELECTDB db:LEN
//	        | 0xF5 FUNCTION2 code:STRING
//	        | 0xF6 FUNCTION  name:STRING engine:STRING has_desc:LEN [desc:STRING] code:STRING (7.0-rc)
//	        | 0xF7 MODULE_AUX module_id:LEN 2:LEN when:LEN module-opcodes… 0:LEN
//	        | [0xFC expire_ms:int64 | 0xFD expire_s:int32] [0xF8 idle:LEN] [0xF9 freq:byte]
//	          type:byte key:STRING value
//
// LEN is big endian in its long forms: 00xxxxxx (6 bits), 01xxxxxx
// xxxxxxxx (14 bits), 0x80 + 4 bytes, 0x81 + 8 bytes. A first byte 11xxxxxx
// instead marks a specially encoded STRING: 0xC0/0xC1/0xC2 for an int8,
// int16 or int32 printed in decimal, 0xC3 for LZF (compressed length,
// uncompressed length, data). Any other STRING is LEN then the bytes.
//
// Values by type byte:
//
//	0  string             STRING
//	1  list               LEN × STRING                     (before Redis 3.2)
//	2  set                LEN × STRING
//	3  zset               LEN × (STRING, ASCII double)     (before Redis 4.0)
//	4  hash               LEN × (STRING, STRING)
//	5  zset2              LEN × (STRING, float64)          (written highest score first)
//	6, 7  module          module id, module data           (refused)
//	9  hash zipmap        STRING(zipmap)                   (Redis 2.x)
//	10 list ziplist       STRING(ziplist)
//	11 set intset         STRING(intset)
//	12 zset ziplist       STRING(ziplist of member, score)
//	13 hash ziplist       STRING(ziplist of field, value)
//	14 list quicklist     LEN × STRING(ziplist)             (Redis 3.2–6.2)
//	15, 19, 21 stream     listpacks, metadata, consumer groups (skipped)
//	16 hash listpack      STRING(listpack of field, value)
//	17 zset listpack      STRING(listpack of member, score) sorted by (score, member)
//	18 list quicklist 2   LEN × (container:LEN, STRING)    1 = PLAIN element, 2 = PACKED listpack
//	20 set listpack       STRING(listpack)                 (Redis 7.2)
//
// The compact encodings are described in listpack.go, ziplist.go,
// intset.go and zipmap.go, LZF in lzf.go and the checksum in crc64.go. The
// reference is /work/shared/spec/rdb-aof-spec.md (Part 1), written from the
// Redis 7.0 sources.
package rdb
