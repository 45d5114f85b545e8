package tlsconf

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
)

// openSSLOrder names, as OpenSSL does, the TLS 1.2 (and older) cipher
// suites Go implements and Tandem offers, strongest first as OpenSSL's
// DEFAULT orders them. RC4 and 3DES suites, which Go implements but
// disables, are left out: naming one is refused.
var openSSLOrder = []struct {
	name string
	id   uint16
}{
	{"ECDHE-ECDSA-AES256-GCM-SHA384", tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384},
	{"ECDHE-RSA-AES256-GCM-SHA384", tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384},
	{"ECDHE-ECDSA-CHACHA20-POLY1305", tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
	{"ECDHE-RSA-CHACHA20-POLY1305", tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256},
	{"ECDHE-ECDSA-AES128-GCM-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
	{"ECDHE-RSA-AES128-GCM-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
	{"ECDHE-ECDSA-AES128-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256},
	{"ECDHE-RSA-AES128-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256},
	{"ECDHE-ECDSA-AES256-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA},
	{"ECDHE-RSA-AES256-SHA", tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA},
	{"ECDHE-ECDSA-AES128-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA},
	{"ECDHE-RSA-AES128-SHA", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA},
	{"AES256-GCM-SHA384", tls.TLS_RSA_WITH_AES_256_GCM_SHA384},
	{"AES128-GCM-SHA256", tls.TLS_RSA_WITH_AES_128_GCM_SHA256},
	{"AES128-SHA256", tls.TLS_RSA_WITH_AES_128_CBC_SHA256},
	{"AES256-SHA", tls.TLS_RSA_WITH_AES_256_CBC_SHA},
	{"AES128-SHA", tls.TLS_RSA_WITH_AES_128_CBC_SHA},
}

// defaultSuites is what DEFAULT, ALL and HIGH stand for: every suite of
// openSSLOrder, in its order. OpenSSL's keywords cover these and more
// (suites Go does not implement); an explicit list that names no keyword
// is the way to keep out the RSA key exchange and CBC suites, as with
// OpenSSL.
func defaultSuites() []uint16 {
	out := make([]uint16, len(openSSLOrder))
	for i, s := range openSSLOrder {
		out[i] = s.id
	}
	return out
}

// suiteByName finds an OpenSSL cipher name, case-insensitively.
func suiteByName(name string) (uint16, bool) {
	for _, s := range openSSLOrder {
		if strings.EqualFold(s.name, name) {
			return s.id, true
		}
	}
	return 0, false
}

// parseCiphers reads tls-ciphers in OpenSSL's cipher-list grammar, as far
// as Go can honour it: names (see openSSLOrder) and DEFAULT/ALL/HIGH,
// separated by ':', ',' or spaces; "-X" and "!X" take X out, "+X" moves
// it to the end; "@STRENGTH" is accepted (Go's order is by strength).
// Anything else is refused: a cipher list Tandem cannot apply exactly
// must not be replaced by another. "" is nil: Go's own choice.
func parseCiphers(v string) ([]uint16, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	var out []uint16
	var removed []uint16
	lookup := func(name string) ([]uint16, bool) {
		switch strings.ToUpper(name) {
		case "DEFAULT", "ALL", "HIGH":
			return defaultSuites(), true
		}
		id, ok := suiteByName(name)
		return []uint16{id}, ok
	}
	for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		if strings.EqualFold(tok, "@STRENGTH") {
			continue
		}
		op := byte(0)
		if tok[0] == '-' || tok[0] == '!' || tok[0] == '+' {
			op, tok = tok[0], tok[1:]
		}
		ids, ok := lookup(tok)
		if !ok {
			return nil, fmt.Errorf("Failed to configure ciphers: %s: %q is not a cipher Tandem supports (Go's crypto/tls implements %s)", v, tok, supportedNames())
		}
		switch op {
		case '-', '!':
			out = slices.DeleteFunc(out, func(id uint16) bool { return slices.Contains(ids, id) })
			if op == '!' {
				removed = append(removed, ids...)
			}
		case '+':
			for _, id := range ids {
				if i := slices.Index(out, id); i >= 0 {
					out = append(slices.Delete(out, i, i+1), id)
				}
			}
		default:
			for _, id := range ids {
				if !slices.Contains(out, id) && !slices.Contains(removed, id) {
					out = append(out, id)
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("Failed to configure ciphers: %s: no cipher left", v)
	}
	return out, nil
}

func supportedNames() string {
	names := make([]string, 0, len(openSSLOrder))
	for _, s := range openSSLOrder {
		names = append(names, s.name)
	}
	return strings.Join(names, ":")
}

// tls13Suites are the TLS 1.3 suites Go implements; it always enables all
// three and has no setting to leave one out.
var tls13Suites = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}

// checkCiphersuites accepts tls-ciphersuites (TLS 1.3) only when Go can
// do what it says: every suite Go enables is listed, or TLS 1.3 is off.
func checkCiphersuites(v string, maxV uint16) error {
	if strings.TrimSpace(v) == "" || maxV < tls.VersionTLS13 {
		return nil
	}
	var got []string
	for _, tok := range strings.Split(v, ":") {
		tok = strings.ToUpper(strings.TrimSpace(tok))
		if !slices.Contains(tls13Suites, tok) {
			return fmt.Errorf("Failed to configure ciphersuites: %s: %q is not a TLS 1.3 cipher suite Tandem supports (%s)", v, tok, strings.Join(tls13Suites, ":"))
		}
		got = append(got, tok)
	}
	for _, s := range tls13Suites {
		if !slices.Contains(got, s) {
			return fmt.Errorf("Failed to configure ciphersuites: %s: Go's crypto/tls always enables %s and cannot leave %s out (or disable TLSv1.3 in tls-protocols)", v, strings.Join(tls13Suites, ":"), s)
		}
	}
	return nil
}

// compatibleSuites keeps the suites the certificate's key can serve
// (ECDSA suites need an ECDSA key, the others an RSA one).
func compatibleSuites(ids []uint16, cert tls.Certificate) []uint16 {
	var ecdsaKey bool
	switch cert.PrivateKey.(type) {
	case *ecdsa.PrivateKey, ed25519.PrivateKey:
		ecdsaKey = true
	case *rsa.PrivateKey:
	}
	var out []uint16
	for _, id := range ids {
		name := tls.CipherSuiteName(id)
		if strings.Contains(name, "_ECDSA_") == ecdsaKey {
			out = append(out, id)
		}
	}
	return out
}
