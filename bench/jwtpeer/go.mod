module github.com/gatehouse/gatehouse/bench/jwtpeer

go 1.26.8

require github.com/gatehouse/gatehouse v0.0.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	golang.org/x/crypto v0.58.0 // indirect
)

replace github.com/gatehouse/gatehouse => ../..
