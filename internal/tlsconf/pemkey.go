package tlsconf

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"os"
)

// loadKeyPair reads a certificate chain and its private key, decrypting
// the key with pass when it is encrypted: the legacy PEM form
// ("Proc-Type: 4,ENCRYPTED", `openssl rsa -aes256` before OpenSSL 3) with
// x509.DecryptPEMBlock, and PKCS#8 ("ENCRYPTED PRIVATE KEY", what
// OpenSSL 3 writes) with decryptPKCS8 below.
func loadKeyPair(certFile, keyFile, pass string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("Failed to load certificate: %s: %w", certFile, err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("Failed to load private key: %s: %w", keyFile, err)
	}
	keyPEM, err = decryptKeyPEM(keyPEM, pass)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("Failed to load private key: %s: %w", keyFile, err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("Failed to load certificate or private key: %s, %s: %w", certFile, keyFile, err)
	}
	return cert, nil
}

// decryptKeyPEM returns the key file with its key block decrypted (or as
// it is when the key is not encrypted).
func decryptKeyPEM(data []byte, pass string) ([]byte, error) {
	var out []byte
	rest := data
	found := false
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		//lint:ignore SA1019 legacy PEM encryption is what older OpenSSL writes; Redis reads it
		case x509.IsEncryptedPEMBlock(b): //nolint:staticcheck
			if pass == "" {
				return nil, errors.New("the key is encrypted and tls-key-file-pass is not set")
			}
			der, err := x509.DecryptPEMBlock(b, []byte(pass)) //nolint:staticcheck
			if err != nil {
				return nil, fmt.Errorf("decrypting the key: %w", err)
			}
			b = &pem.Block{Type: b.Type, Bytes: der}
			found = true
		case b.Type == "ENCRYPTED PRIVATE KEY":
			if pass == "" {
				return nil, errors.New("the key is encrypted and tls-key-file-pass is not set")
			}
			der, err := decryptPKCS8(b.Bytes, []byte(pass))
			if err != nil {
				return nil, err
			}
			b = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
			found = true
		}
		out = append(out, pem.EncodeToMemory(b)...)
	}
	if !found {
		return data, nil
	}
	return out, nil
}

// The PKCS#8 encryption Tandem reads: PBES2 (RFC 8018) with PBKDF2 and
// AES-CBC or 3DES-CBC, which is what OpenSSL writes (`openssl pkcs8
// -topk8 -v2 aes256`, `openssl rsa -aes256` in OpenSSL 3). Older PBES1
// schemes and scrypt are refused by name.
var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA224 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

type encryptedPrivateKeyInfo struct {
	Algo          algorithmID
	EncryptedData []byte
}

type algorithmID struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type pbes2Params struct {
	KDF algorithmID
	Enc algorithmID
}

type pbkdf2Params struct {
	Salt      []byte
	Iter      int
	KeyLength int         `asn1:"optional"`
	PRF       algorithmID `asn1:"optional"`
}

// decryptPKCS8 decrypts an EncryptedPrivateKeyInfo into PKCS#8 DER.
func decryptPKCS8(der, pass []byte) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, fmt.Errorf("parsing the encrypted key: %w", err)
	}
	if !info.Algo.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("the key's encryption %v is not supported by Tandem (PBES2 only: re-encrypt it with `openssl pkcs8 -topk8 -v2 aes256`)", info.Algo.Algorithm)
	}
	var p pbes2Params
	if _, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &p); err != nil {
		return nil, fmt.Errorf("parsing the key's PBES2 parameters: %w", err)
	}
	if !p.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("the key's key derivation %v is not supported by Tandem (PBKDF2 only)", p.KDF.Algorithm)
	}
	var kp pbkdf2Params
	if _, err := asn1.Unmarshal(p.KDF.Parameters.FullBytes, &kp); err != nil {
		return nil, fmt.Errorf("parsing the key's PBKDF2 parameters: %w", err)
	}
	var h func() hash.Hash
	switch prf := kp.PRF.Algorithm; {
	case len(prf) == 0 || prf.Equal(oidHMACSHA1):
		h = sha1.New
	case prf.Equal(oidHMACSHA224):
		h = sha256.New224
	case prf.Equal(oidHMACSHA256):
		h = sha256.New
	case prf.Equal(oidHMACSHA384):
		h = sha512.New384
	case prf.Equal(oidHMACSHA512):
		h = sha512.New
	default:
		return nil, fmt.Errorf("the key's PBKDF2 hash %v is not supported by Tandem", prf)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(p.Enc.Parameters.FullBytes, &iv); err != nil {
		return nil, fmt.Errorf("parsing the key's cipher parameters: %w", err)
	}
	var keyLen int
	var newBlock func([]byte) (cipher.Block, error)
	switch e := p.Enc.Algorithm; {
	case e.Equal(oidAES128CBC):
		keyLen, newBlock = 16, aes.NewCipher
	case e.Equal(oidAES192CBC):
		keyLen, newBlock = 24, aes.NewCipher
	case e.Equal(oidAES256CBC):
		keyLen, newBlock = 32, aes.NewCipher
	case e.Equal(oidDESEDE3CBC):
		keyLen, newBlock = 24, des.NewTripleDESCipher
	default:
		return nil, fmt.Errorf("the key's cipher %v is not supported by Tandem (AES-CBC or 3DES-CBC)", e)
	}
	if kp.Iter <= 0 || kp.Iter > 10_000_000 {
		return nil, fmt.Errorf("the key's PBKDF2 iteration count %d is out of range", kp.Iter)
	}
	key, err := pbkdf2.Key(h, string(pass), kp.Salt, kp.Iter, keyLen)
	if err != nil {
		return nil, err
	}
	block, err := newBlock(key)
	if err != nil {
		return nil, err
	}
	data := info.EncryptedData
	if len(iv) != block.BlockSize() || len(data) == 0 || len(data)%block.BlockSize() != 0 {
		return nil, errors.New("the encrypted key is malformed")
	}
	plain := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, data)
	// PKCS#7 padding; a wrong password shows here (or in the parse below).
	n := int(plain[len(plain)-1])
	if n == 0 || n > block.BlockSize() {
		return nil, errors.New("decrypting the key: wrong tls-key-file-pass?")
	}
	for _, b := range plain[len(plain)-n:] {
		if int(b) != n {
			return nil, errors.New("decrypting the key: wrong tls-key-file-pass?")
		}
	}
	plain = plain[:len(plain)-n]
	if _, err := x509.ParsePKCS8PrivateKey(plain); err != nil {
		return nil, errors.New("decrypting the key: wrong tls-key-file-pass?")
	}
	return plain, nil
}

// checkDHParams accepts tls-dh-params-file when it holds PEM "DH
// PARAMETERS" (PKCS#3: a prime and a generator), as OpenSSL requires.
func checkDHParams(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("Failed to load %s: %w", path, err)
	}
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return fmt.Errorf("%s: failed to read DH params.", path)
		}
		if b.Type != "DH PARAMETERS" {
			continue
		}
		var p struct {
			P, G *big.Int
			L    int `asn1:"optional"`
		}
		if _, err := asn1.Unmarshal(b.Bytes, &p); err != nil || p.P == nil || p.P.Sign() <= 0 || p.G == nil || p.G.Sign() <= 0 {
			return fmt.Errorf("%s: failed to read DH params.", path)
		}
		return nil
	}
}
