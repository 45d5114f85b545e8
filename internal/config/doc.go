// Package config is Tandem's configuration: a typed Config holding every
// setting with Redis 7.0's defaults, the redis.conf grammar and
// redis-server's command-line options (Load), and the runtime side of the
// CONFIG command (Get, Set with subscribers, Rewrite).
//
// Compatibility is the point: a redis.conf that redis-server 7.0 accepts
// loads here, with the same values, the same errors (the same banner, line
// number and reason) and the same CONFIG GET/SET/REWRITE answers. Settings
// Tandem does not act on are still accepted, validated and shown; those
// whose absence would weaken security or durability (maxmemory, TLS…)
// are then refused by CheckSupported and by Set with
// OnlySupported, unless they keep their default (unsupported.go).
//
// The directive table in directives.go is the single place where names,
// aliases, defaults, bounds and flags are defined.
package config
