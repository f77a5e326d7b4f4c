go mod init receiver   # the standard library alone
---
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
---
// verify checks X-Shopify-Hmac-Sha256: the base64 HMAC-SHA256 of the raw body.
func verify(h http.Header, body []byte) bool {
	signature, err := base64.StdEncoding.DecodeString(h.Get("X-Shopify-Hmac-Sha256"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(signature, mac.Sum(nil))
}
