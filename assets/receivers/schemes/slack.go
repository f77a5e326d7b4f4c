go mod init receiver   # the standard library alone
---
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
---
// verify checks X-Slack-Signature, "v0=" and the hex HMAC-SHA256 of
// "v0:{X-Slack-Request-Timestamp}:{body}"; the timestamp must be within 5 minutes.
func verify(h http.Header, body []byte) bool {
	timestamp := h.Get("X-Slack-Request-Timestamp")
	t, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || !recent(t) {
		return false
	}
	value := h.Get("X-Slack-Signature")
	signature, err := hex.DecodeString(strings.TrimPrefix(value, "v0="))
	if !strings.HasPrefix(value, "v0=") || err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return hmac.Equal(signature, mac.Sum(nil))
}

// recent says whether unix time t is within 5 minutes of now, either way.
func recent(t int64) bool {
	age := time.Now().Unix() - t
	return age <= 300 && age >= -300
}
