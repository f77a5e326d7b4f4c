// A Truora hook receiver in Go: the raw body is the token, verified with the
// hook's secret and {ALG} only (jwt.WithValidMethods), before any claim is used.
//
//   go mod init receiver && go get github.com/golang-jwt/jwt/v5
//   TRUORA_HOOK_SECRET=... PORT=3000 go run .
package main

import (
	"io"
	"log"
	"net/http"
	"os"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

func main() {
	secret := []byte(os.Getenv("TRUORA_HOOK_SECRET"))
	if len(secret) == 0 {
		log.Fatal("set TRUORA_HOOK_SECRET to the hook's secret")
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "3000"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		token, err := jwt.Parse(strings.TrimSpace(string(body)), func(t *jwt.Token) (any, error) {
			return secret, nil
		}, jwt.WithValidMethods([]string{"{ALG}"}))
		if err != nil || !token.Valid {
			http.Error(w, "invalid hook", http.StatusUnauthorized)
			return
		}
		claims := token.Claims.(jwt.MapClaims)
		// Truora retries: process each event id once.
		log.Printf("hook: %v", claims["events"])
		w.WriteHeader(http.StatusOK)
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:"+port, nil))
}
