package guard

// The names of the access-token cookie that the Gatehouse server's browser
// mode sets (its /session/ endpoints), for WithCookie. AccessCookie has
// the __Host- prefix: the browser keeps it only if it is Secure, set over
// HTTPS, without a Domain and for the path /, so it reaches the APIs
// served on the same host as Gatehouse (behind one reverse proxy) and no
// other host. DevAccessCookie is its name under `gatehouse serve
// --dev-cookies`, for local development over plain HTTP.
const (
	AccessCookie    = "__Host-gatehouse-access"
	DevAccessCookie = "gatehouse-access"
)
