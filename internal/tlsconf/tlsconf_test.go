package tlsconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseProtocols(t *testing.T) {
	for _, tc := range []struct {
		in       string
		min, max uint16
		err      string
	}{
		{"", tls.VersionTLS12, tls.VersionTLS13, ""},
		{"TLSv1.2", tls.VersionTLS12, tls.VersionTLS12, ""},
		{"tlsv1.2 TLSV1.3", tls.VersionTLS12, tls.VersionTLS13, ""},
		{"TLSv1.3 TLSv1.2", tls.VersionTLS12, tls.VersionTLS13, ""},
		{"TLSv1 TLSv1.1 TLSv1.2", tls.VersionTLS10, tls.VersionTLS12, ""},
		{"TLSv1 TLSv1.3", 0, 0, "contiguous range"},
		{"TLSv1.4", 0, 0, "Invalid tls-protocols specified"},
		{"SSLv3", 0, 0, "Invalid tls-protocols specified"},
	} {
		lo, hi, err := parseProtocols(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || lo != tc.min || hi != tc.max {
			t.Errorf("%q: %x..%x %v, want %x..%x", tc.in, lo, hi, err, tc.min, tc.max)
		}
	}
}

func TestParseCiphers(t *testing.T) {
	def := defaultSuites()
	without := func(id uint16) []uint16 {
		return slices.DeleteFunc(slices.Clone(def), func(x uint16) bool { return x == id })
	}
	for _, tc := range []struct {
		in   string
		want []uint16
		err  string
	}{
		{"", nil, ""},
		{"DEFAULT", def, ""},
		{"HIGH:@STRENGTH", def, ""},
		{"DEFAULT:-ECDHE-RSA-AES128-GCM-SHA256", without(tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), ""},
		{"ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA256", []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_RSA_WITH_AES_128_CBC_SHA256}, ""},
		{"aes128-sha,AES256-SHA AES128-SHA", []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_256_CBC_SHA}, ""},
		{"AES128-SHA:AES256-SHA:+AES128-SHA", []uint16{tls.TLS_RSA_WITH_AES_256_CBC_SHA, tls.TLS_RSA_WITH_AES_128_CBC_SHA}, ""},
		{"!AES128-SHA:AES128-SHA:AES256-SHA", []uint16{tls.TLS_RSA_WITH_AES_256_CBC_SHA}, ""},
		{"AES128-SHA:-AES128-SHA", nil, "no cipher left"},
		{"AES256-SHA256", nil, `"AES256-SHA256" is not a cipher Tandem supports`},
		{"DEFAULT:DES-CBC3-SHA", nil, "not a cipher Tandem supports"},
		{"DEFAULT:@SECLEVEL=0", nil, "not a cipher Tandem supports"},
	} {
		got, err := parseCiphers(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v %v, want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestCheckCiphersuites(t *testing.T) {
	all := "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"
	for _, tc := range []struct {
		in  string
		max uint16
		ok  bool
	}{
		{"", tls.VersionTLS13, true},
		{all, tls.VersionTLS13, true},
		{"TLS_AES_256_GCM_SHA384", tls.VersionTLS13, false},
		{"TLS_AES_256_GCM_SHA384", tls.VersionTLS12, true}, // TLS 1.3 is off: nothing to apply
		{all + ":TLS_AES_128_CCM_SHA256", tls.VersionTLS13, false},
	} {
		if err := checkCiphersuites(tc.in, tc.max); (err == nil) != tc.ok {
			t.Errorf("%q (max %x): %v", tc.in, tc.max, err)
		}
	}
}

// writeCert makes a self-signed ECDSA certificate and its key in dir.
func writeCert(t *testing.T, dir string) (crt, key string) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	crt, key = filepath.Join(dir, "c.crt"), filepath.Join(dir, "c.key")
	os.WriteFile(crt, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	kd, _ := x509.MarshalPKCS8PrivateKey(k)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), 0o600)
	return crt, key
}

// Encrypted keys as OpenSSL writes them, every PBES2 variant it offers
// that Tandem reads, and the legacy form; a wrong or missing password
// fails, an unsupported scheme is named.
func TestEncryptedKeys(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	crt, key := writeCert(t, dir)
	for i, args := range [][]string{
		{"pkcs8", "-topk8", "-v2", "aes256"},
		{"pkcs8", "-topk8", "-v2", "aes128", "-v2prf", "hmacWithSHA512"},
		{"pkcs8", "-topk8", "-v2", "aes192", "-v2prf", "hmacWithSHA1"},
		{"pkcs8", "-topk8", "-v2", "des3"},
		{"ec", "-aes256"},
		{"ec", "-des3"},
	} {
		out := filepath.Join(dir, "enc"+string(rune('a'+i))+".key")
		full := append(args, "-in", key, "-out", out, "-passout", "pass:pw")
		if b, err := exec.Command("openssl", full...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", full, err, b)
		}
		if _, err := loadKeyPair(crt, out, "pw"); err != nil {
			t.Errorf("openssl %v: %v", args, err)
		}
		if _, err := loadKeyPair(crt, out, "nope"); err == nil {
			t.Errorf("openssl %v: a wrong password loaded", args)
		}
		if _, err := loadKeyPair(crt, out, ""); err == nil || !strings.Contains(err.Error(), "tls-key-file-pass is not set") {
			t.Errorf("openssl %v without password: %v", args, err)
		}
	}
	out := filepath.Join(dir, "scrypt.key")
	if exec.Command("openssl", "pkcs8", "-topk8", "-scrypt", "-in", key, "-out", out, "-passout", "pass:pw").Run() == nil {
		if _, err := loadKeyPair(crt, out, "pw"); err == nil || !strings.Contains(err.Error(), "not supported by Tandem") {
			t.Errorf("scrypt key: %v", err)
		}
	}
	// A plain key ignores the password, as OpenSSL does.
	if _, err := loadKeyPair(crt, key, "pw"); err != nil {
		t.Error(err)
	}
}

func TestDHParams(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "dh.pem")
	if b, err := exec.Command("openssl", "dhparam", "-out", good, "512").CombinedOutput(); err != nil {
		// Newer OpenSSL refuses 512 bits: take the smallest it allows.
		if b, err = exec.Command("openssl", "dhparam", "-dsaparam", "-out", good, "1024").CombinedOutput(); err != nil {
			t.Fatalf("openssl dhparam: %v\n%s", err, b)
		}
	}
	if err := checkDHParams(good); err != nil {
		t.Error(err)
	}
	bad := filepath.Join(dir, "bad.pem")
	os.WriteFile(bad, []byte("-----BEGIN DH PARAMETERS-----\nAAAA\n-----END DH PARAMETERS-----\n"), 0o600)
	for _, f := range []string{bad, filepath.Join(dir, "missing.pem")} {
		if err := checkDHParams(f); err == nil {
			t.Errorf("%s accepted", f)
		}
	}
	crt, key := writeCert(t, dir)
	m, err := Load(Settings{CertFile: crt, KeyFile: key, DHParamsFile: good})
	if err != nil || len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], "not used") {
		t.Errorf("Load with DH params: %v %v", m, err)
	}
}

// Load's own refusals, and the ECDSA certificate keeping only the ECDSA
// suites of tls-ciphers.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	crt, key := writeCert(t, dir)
	for _, tc := range []struct {
		s   Settings
		err string
	}{
		{Settings{KeyFile: key}, "No tls-cert-file configured!"},
		{Settings{CertFile: crt}, "No tls-key-file configured!"},
		{Settings{CertFile: crt, KeyFile: key, NeedCA: true}, "Either tls-ca-cert-file or tls-ca-cert-dir"},
		{Settings{CertFile: crt, KeyFile: key, CADir: filepath.Join(dir, "none")}, "Failed to configure CA"},
		{Settings{CertFile: crt, KeyFile: key, Ciphers: "AES128-SHA", Protocols: "TLSv1.2"}, "works with the certificate's key type"},
		{Settings{CertFile: crt, KeyFile: key, CADir: dir, NeedCA: true, Ciphers: "DEFAULT"}, ""},
	} {
		_, err := Load(tc.s)
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%+v: %v, want %q", tc.s, err, tc.err)
		}
	}
	m, err := Load(Settings{CertFile: crt, KeyFile: key, Ciphers: "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"})
	if err != nil || !slices.Equal(m.suites, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}) {
		t.Errorf("ECDSA key: suites %v %v", m, err)
	}
}
