package tlsconf

import (
	"strings"
	"testing"
)

// Settings text never panics the parsers: they answer a list or an error.
func FuzzParseSettings(f *testing.F) {
	for _, s := range []string{"", "DEFAULT", "DEFAULT:-AES128-SHA256", "!ALL:+AES128-SHA", "@STRENGTH", "-", "+:", "TLSv1.2 TLSv1.3", "tlsv1 ", "TLS_AES_128_GCM_SHA256:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ids, err := parseCiphers(s); err == nil && len(ids) == 0 && strings.TrimSpace(s) != "" {
			t.Errorf("%q: no suites and no error", s)
		}
		parseProtocols(s)
		checkCiphersuites(s, 0x0304)
	})
}

// Key files of any shape never panic the decryption: PEM blocks with
// broken headers, PKCS#8 structures with odd parameters.
func FuzzDecryptKeyPEM(f *testing.F) {
	f.Add([]byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n"), "pw")
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"), "pw")
	f.Add([]byte("-----BEGIN DH PARAMETERS-----\nMAYCAQUCAQI=\n-----END DH PARAMETERS-----\n"), "")
	f.Fuzz(func(t *testing.T, data []byte, pass string) {
		decryptKeyPEM(data, pass)
		decryptPKCS8(data, []byte(pass))
	})
}
