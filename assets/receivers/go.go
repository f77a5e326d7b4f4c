// A Truora hook receiver in Go: {WHERE}, verified with the
// hook's secret and {ALG} only (jwt.WithValidMethods), before any claim is used.
// Bodies over 1 MiB get 413; slow and idle clients are timed out.
//
//   go mod init receiver && go get github.com/golang-jwt/jwt/v5
//   TRUORA_HOOK_SECRET=... PORT=3000 go run .
package main

import (
{IMPORTS}

	"github.com/golang-jwt/jwt/v5"
)

const maxBody = 1 << 20 // a Truora hook is a few kilobytes

func main() {
	secret := []byte(os.Getenv("TRUORA_HOOK_SECRET"))
	if len(secret) == 0 {
		log.Fatal("set TRUORA_HOOK_SECRET to the hook's secret")
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "3000"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBody {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		{TOKEN}
		token, err := jwt.Parse(raw, func(t *jwt.Token) (any, error) {
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
	// No client can hold the server: 5 s for a head, 10 s for a request, 60 s idle.
	server := &http.Server{
		Addr:              "127.0.0.1:" + port,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	log.Fatal(server.ListenAndServe())
}
