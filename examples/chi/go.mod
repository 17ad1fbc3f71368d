module github.com/gatehouse/gatehouse/examples/chi

go 1.26.8

require github.com/gatehouse/gatehouse v0.0.0

require (
	github.com/go-chi/chi/v5 v5.5.0
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
)

replace github.com/gatehouse/gatehouse => ../..
