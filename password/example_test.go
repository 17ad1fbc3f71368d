package password_test

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/password"
)

// A login: check the password, and store a fresh hash when the stored one
// was imported or made with older parameters.
func Example() {
	ctx := context.Background()
	// Tests use cheap parameters; a server uses password.Config{}.
	h, err := password.New(password.Config{Memory: 64, Time: 1, AllowWeak: true})
	if err != nil {
		panic(err)
	}

	// A user imported from a passlib application.
	stored := "$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ"
	ok, rehash, err := h.Verify(ctx, "password", stored)
	fmt.Println(ok, rehash, err)
	if ok && rehash {
		stored, _ = h.Hash(ctx, "password")
	}
	ok, rehash, err = h.Verify(ctx, "password", stored)
	fmt.Println(ok, rehash, err)

	// A login for a user that does not exist costs the same as a wrong
	// password for one that does.
	fmt.Println(h.VerifyDummy(ctx, "guess"))
	// Output:
	// true true <nil>
	// true false <nil>
	// <nil>
}
