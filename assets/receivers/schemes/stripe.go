go mod init receiver   # the standard library alone
---
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
---
// verify checks Stripe-Signature, "t=<unix>,v1=<hex>[,v1=...]": the HMAC-SHA256 of
// "{t}.{body}" with the whole whsec_... secret; any one v1 may match (while a secret
// is rotated), v0 never counts, and t must be within 5 minutes of now.
func verify(h http.Header, body []byte) bool {
	var timestamp string
	var signatures [][]byte
	for _, part := range strings.Split(h.Get("Stripe-Signature"), ",") {
		key, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch key {
		case "t":
			timestamp = value
		case "v1":
			if signature, err := hex.DecodeString(value); err == nil {
				signatures = append(signatures, signature)
			}
		}
	}
	t, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || !recent(t) {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "."))
	mac.Write(body)
	expected := mac.Sum(nil)
	for _, signature := range signatures {
		if hmac.Equal(signature, expected) {
			return true
		}
	}
	return false
}

// recent says whether unix time t is within 5 minutes of now, either way.
func recent(t int64) bool {
	age := time.Now().Unix() - t
	return age <= 300 && age >= -300
}
