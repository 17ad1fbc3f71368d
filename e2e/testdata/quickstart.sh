# Terminal 1: build and start the server (127.0.0.1:8080, data in ./gatehouse.db)
go build -o gatehouse ./cmd/gatehouse
./gatehouse serve

# Terminal 2: add a user, log in, call a protected route, refresh, log out
echo 'correct horse battery staple' | ./gatehouse user add alice --password-stdin --scope "orders:read"
TOKENS=$(curl -fsS http://127.0.0.1:8080/token -d grant_type=password -d username=alice --data-urlencode 'password=correct horse battery staple')
ACCESS=$(echo "$TOKENS" | jq -r .access_token)
REFRESH=$(echo "$TOKENS" | jq -r .refresh_token)
curl -fsS http://127.0.0.1:8080/userinfo -H "Authorization: Bearer $ACCESS"
TOKENS=$(curl -fsS http://127.0.0.1:8080/token -d grant_type=refresh_token -d refresh_token="$REFRESH")
ACCESS=$(echo "$TOKENS" | jq -r .access_token)
curl -fsS -X POST http://127.0.0.1:8080/logout -H "Authorization: Bearer $ACCESS"
curl -sS -o /dev/null -w '%{http_code}\n' http://127.0.0.1:8080/userinfo -H "Authorization: Bearer $ACCESS"
