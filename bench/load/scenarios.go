package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// scenarioNames are the scenarios in the order they run.
var scenarioNames = []string{
	"healthz", "jwks", "userinfo", "introspect", "refresh", "cookie-refresh", "password", "password-burst",
	"goapi-healthz", "goapi-orders", "guard-bare", "guard-cached",
}

// baselineOf names the scenario that name is compared with.
func baselineOf(name string) string {
	switch {
	case strings.HasPrefix(name, "goapi-"):
		return "goapi-healthz"
	case strings.HasPrefix(name, "guard-"):
		return "guard-bare"
	}
	return "healthz"
}

// splitWorkers splits NAME@N into NAME and N (0 without @).
func splitWorkers(name string) (string, int, error) {
	base, n, ok := strings.Cut(name, "@")
	if !ok {
		return name, 0, nil
	}
	w, err := strconv.Atoi(n)
	if err != nil || w < 1 {
		return "", 0, fmt.Errorf("scenario %q: the number of workers after @ must be a positive integer", name)
	}
	return base, w, nil
}

// scenario is a set of workers, each a function that sends one request and
// keeps its own state (a refresh worker its current refresh token).
type scenario struct {
	name     string
	baseline string
	// allowBusy: a 503 (a full password-hashing queue) or a 429 (the
	// throttle, which counts logins in flight) with Retry-After is a
	// documented answer, counted apart from errors.
	allowBusy bool
	workers   int
	newWorker func(i int) func(context.Context) outcome
	pid       int // the process whose CPU time is counted; 0 for none
}

// scenario prepares the named scenario: sessions for the workers that need
// a token, examples/goapi for the goapi ones.
func (e *env) scenario(ctx context.Context, name string) (*scenario, error) {
	base, n, err := splitWorkers(name)
	if err != nil {
		return nil, err
	}
	sc := &scenario{name: name, baseline: baselineOf(base), workers: e.o.workers, pid: e.server.pid()}
	if n > 0 {
		sc.workers = n
	}
	get := func(u string, bearer func(i int) string) func(int) func(context.Context) outcome {
		return func(i int) func(context.Context) outcome {
			b := bearer(i)
			return func(ctx context.Context) outcome { return e.get(ctx, u, b) }
		}
	}
	none := func(int) string { return "" }
	switch base {
	case "healthz":
		sc.newWorker = get(e.base+"/healthz", none)
	case "jwks":
		sc.newWorker = get(e.base+"/.well-known/jwks.json", none)
	case "userinfo", "goapi-orders":
		tokens, err := e.sessions(ctx, sc.workers)
		if err != nil {
			return nil, err
		}
		u := e.base + "/userinfo"
		if base == "goapi-orders" {
			api, err := e.startGoapi(ctx)
			if err != nil {
				return nil, err
			}
			u, sc.pid = api+"/orders", e.goapi.pid()
		}
		sc.newWorker = get(u, func(i int) string { return tokens[i].Access })
	case "goapi-healthz":
		api, err := e.startGoapi(ctx)
		if err != nil {
			return nil, err
		}
		sc.newWorker, sc.pid = get(api+"/healthz", none), e.goapi.pid()
	case "guard-bare", "guard-cached":
		api, err := e.startGuardapi(ctx)
		if err != nil {
			return nil, err
		}
		sc.pid = e.guardapi.pid()
		if base == "guard-bare" {
			sc.newWorker = get(api+"/orders", none)
			break
		}
		tokens, err := e.sessions(ctx, sc.workers)
		if err != nil {
			return nil, err
		}
		sc.newWorker = get(api+"/guarded/orders", func(i int) string { return tokens[i].Access })
	case "introspect":
		tokens, err := e.sessions(ctx, sc.workers)
		if err != nil {
			return nil, err
		}
		id, secret, err := e.confidentialClient(ctx)
		if err != nil {
			return nil, err
		}
		// The throttle counts a client's authentications in flight from
		// one address as it counts logins: past its free attempts, 429
		// with Retry-After, counted apart.
		sc.allowBusy = true
		sc.newWorker = func(i int) func(context.Context) outcome {
			form := url.Values{"token": {tokens[i].Access}, "client_id": {id}, "client_secret": {secret}}.Encode()
			return func(ctx context.Context) outcome {
				var ans struct {
					Active bool `json:"active"`
				}
				out := e.do(ctx, http.MethodPost, e.base+"/introspect", "", strings.NewReader(form), &ans)
				if out.status == http.StatusOK && out.err == nil && !ans.Active {
					out.err = fmt.Errorf("introspection answered active=false for a valid token")
				}
				return out
			}
		}
	case "refresh":
		// Sessions of their own: a broken chain (reuse) revokes its
		// session, which must not touch the userinfo tokens.
		chains := make([]string, sc.workers)
		for i := range chains {
			tp, err := e.login(ctx)
			if err != nil {
				return nil, err
			}
			chains[i] = tp.Refresh
		}
		sc.newWorker = func(i int) func(context.Context) outcome {
			return func(ctx context.Context) outcome {
				form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {chains[i]}}.Encode()
				var tp tokenPair
				out := e.do(ctx, http.MethodPost, e.base+"/token", "", strings.NewReader(form), &tp)
				if out.status == http.StatusOK && out.err == nil {
					if tp.Refresh == "" || tp.Access == "" {
						out.err = errNoToken
					} else {
						chains[i] = tp.Refresh
					}
				}
				return out
			}
		}
	case "cookie-refresh":
		// Browser mode's refresh: the same rotation, the refresh token in
		// its cookie, the CSRF rule, the new tokens in Set-Cookie.
		chains := make([]string, sc.workers)
		for i := range chains {
			tp, err := e.login(ctx)
			if err != nil {
				return nil, err
			}
			chains[i] = tp.Refresh
		}
		sc.newWorker = func(i int) func(context.Context) outcome {
			return func(ctx context.Context) outcome {
				out, next := e.cookieRefresh(ctx, chains[i])
				if out.status == http.StatusOK && out.err == nil {
					if next == "" {
						out.err = errNoToken
					} else {
						chains[i] = next
					}
				}
				return out
			}
		}
	case "password", "password-burst":
		if base == "password-burst" && n == 0 || name == "password-burst" {
			sc.workers = e.o.burstWorkers
		}
		sc.allowBusy = true
		form := url.Values{"grant_type": {"password"}, "username": {e.user}, "password": {e.pass}}.Encode()
		sc.newWorker = func(int) func(context.Context) outcome {
			return func(ctx context.Context) outcome {
				var tp tokenPair
				out := e.do(ctx, http.MethodPost, e.base+"/token", "", strings.NewReader(form), &tp)
				if out.status == http.StatusOK && out.err == nil && (tp.Access == "" || tp.Refresh == "") {
					out.err = errNoToken
				}
				return out
			}
		}
	default:
		return nil, fmt.Errorf("unknown scenario")
	}
	return sc, nil
}
