go mod init receiver && go get github.com/golang-jwt/jwt/v5
---
{IMPORTS}

	"github.com/golang-jwt/jwt/v5"
---
// verify takes the token ({WHERE}) and checks it with the secret and {ALG} only
// (jwt.WithValidMethods), the algorithm never taken from the token's header.
func verify(h http.Header, body []byte) bool {
	{TOKEN}
	token, err := jwt.Parse(raw, func(t *jwt.Token) (any, error) {
		return []byte(secret), nil
	}, jwt.WithValidMethods([]string{"{ALG}"}))
	if err != nil || !token.Valid {
		return false
	}
	claims := token.Claims.(jwt.MapClaims)
	log.Printf("hook: %v", claims["events"])
	return true
}
