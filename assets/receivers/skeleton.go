{ABOUT}
// Bodies over 1 MiB get 413; slow and idle clients are timed out.
//
{INSTALL}
//	{ENV}=... PORT=3000 go run .
package main

import (
{IMPORTS}
)

const maxBody = 1 << 20 // a webhook is a few kilobytes

var secret = os.Getenv("{ENV}")

{VERIFY}

func main() {
	if secret == "" {
		log.Fatal("set {ENV} to {ENV_WHAT}")
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
		if !verify(r.Header, body) {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		// Senders retry: process each event (each message id) once.
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
