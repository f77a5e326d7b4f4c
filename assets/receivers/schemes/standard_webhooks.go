go mod init receiver   # the standard library alone
---
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
---
// verify checks webhook-signature, space-separated "v1,<base64>" entries: the
// HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}" with the key after
// whsec_ (base64); any one may match (while a secret is rotated), and the
// timestamp must be within 5 minutes of now.
func verify(h http.Header, body []byte) bool {
	id, timestamp := h.Get("Webhook-Id"), h.Get("Webhook-Timestamp")
	t, err := strconv.ParseInt(timestamp, 10, 64)
	if id == "" || err != nil || !recent(t) {
		return false
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + timestamp + "."))
	mac.Write(body)
	expected := mac.Sum(nil)
	for _, entry := range strings.Fields(h.Get("Webhook-Signature")) {
		version, value, _ := strings.Cut(entry, ",")
		signature, err := base64.StdEncoding.DecodeString(value)
		if version == "v1" && err == nil && hmac.Equal(signature, expected) {
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
