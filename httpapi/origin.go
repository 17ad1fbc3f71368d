package httpapi

import (
	"errors"
	"fmt"
)

// originError is an origin that CORSOrigins refuses and the rule it breaks.
type originError struct{ origin, why string }

func (e *originError) Error() string {
	return fmt.Sprintf("httpapi: CORS origin %q: %s", e.origin, e.why)
}

// CheckOrigin returns nil when o is an exact origin that Config.CORSOrigins
// accepts, or an error saying only the rule it breaks (for a caller that
// names the setting itself), so that a configuration can be refused before
// anything is opened.
func CheckOrigin(o string) error {
	_, err := normalOrigin(o)
	var oe *originError
	if errors.As(err, &oe) {
		return errors.New(oe.why)
	}
	return err
}
