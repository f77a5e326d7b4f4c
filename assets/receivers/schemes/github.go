go mod init receiver   # the standard library alone
---
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
---
// verify checks X-Hub-Signature-256, "sha256=" and the hex HMAC-SHA256 of the raw
// body; the legacy SHA-1 header alone is not enough.
func verify(h http.Header, body []byte) bool {
	value := h.Get("X-Hub-Signature-256")
	signature, err := hex.DecodeString(strings.TrimPrefix(value, "sha256="))
	if !strings.HasPrefix(value, "sha256=") || err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(signature, mac.Sum(nil))
}
