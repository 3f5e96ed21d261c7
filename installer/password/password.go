// Package password makes and checks yescrypt password hashes, the `$y$`
// strings that libxcrypt (and so /etc/shadow on the installed system) verifies
// and that `mkpasswd --method=yescrypt` prints.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"strings"

	"github.com/openwall/yescrypt-go"
)

// setting is libxcrypt's default yescrypt cost ("j9T": N=2^12, r=32), what
// mkpasswd uses when given no rounds.
const setting = "$y$j9T$"

// saltBytes is the salt length libxcrypt generates for yescrypt (16 bytes,
// 22 characters).
const saltBytes = 16

const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// encode64 is crypt's little-endian base-64 of yescrypt settings.
func encode64(src []byte) string {
	var b strings.Builder
	for i := 0; i < len(src); {
		value, bits := uint32(0), 0
		for ; bits < 24 && i < len(src); bits += 8 {
			value |= uint32(src[i]) << bits
			i++
		}
		for ; bits > 0; bits -= 6 {
			b.WriteByte(itoa64[value&0x3f])
			value >>= 6
		}
	}
	return b.String()
}

// Hash returns a new yescrypt hash of password with a random salt.
func Hash(password string) (string, error) {
	if password == "" {
		return "", errors.New("empty password: type a password, or leave the root password unset")
	}
	salt := make([]byte, saltBytes)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	h, err := yescrypt.Hash([]byte(password), []byte(setting+encode64(salt)))
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// Verify reports whether password matches hash, a `$y$` string.
func Verify(password, hash string) bool {
	if !strings.HasPrefix(hash, "$y$") {
		return false
	}
	h, err := yescrypt.Hash([]byte(password), []byte(hash))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(h, []byte(hash)) == 1
}

// LooksValid reports whether s has the shape of a crypt(3) hash that a shadow
// file accepts: yescrypt, sha512crypt or sha256crypt. It is a plausibility
// check for hashes given in plans; it does not verify anything.
func LooksValid(s string) bool {
	for p, dollars := range map[string]int{"$y$": 4, "$6$": 3, "$5$": 3} {
		if strings.HasPrefix(s, p) && strings.Count(s, "$") >= dollars && !strings.HasSuffix(s, "$") && !strings.ContainsAny(s, " \t\n:") {
			return true
		}
	}
	return false
}
