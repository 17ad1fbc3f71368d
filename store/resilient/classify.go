package resilient

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gatehouse/gatehouse"
)

// Causes of unavailability, as Classify names them: a fixed set, so they
// can key the failure log (and metrics).
const (
	CauseTimeout     = "timeout"             // the call's deadline passed (a frozen database, a pool out of connections)
	CauseConnection  = "connection"          // refused, reset or lost connection
	CauseShutdown    = "database_shutdown"   // PostgreSQL shutting down or not accepting connections yet
	CauseResources   = "database_resources"  // PostgreSQL out of disk, memory or connections (class 53)
	CauseDiskFull    = "disk_full"           // SQLITE_FULL
	CauseReadOnly    = "read_only"           // SQLITE_READONLY, PostgreSQL read-only transaction (25006)
	CauseBusy        = "busy"                // SQLITE_BUSY or SQLITE_LOCKED past the busy timeout
	CauseIO          = "io"                  // SQLITE_IOERR, SQLITE_CANTOPEN, PostgreSQL class 58
	CauseQueryCancel = "query_canceled"      // PostgreSQL canceled the statement (57014: statement_timeout)
	CauseClosed      = "store_closed"        // the pool was closed (shutting down)
	CauseConnectDB   = "connection_rejected" // PostgreSQL class 08: connection exception
)

// SQLite primary result codes (https://sqlite.org/rescode.html); an
// extended code keeps its primary code in the low byte.
const (
	sqliteBusy     = 5
	sqliteLocked   = 6
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteFull     = 13
	sqliteCantOpen = 14
)

// domainErrors are the store contract's own answers: the database
// answered, whatever else the error carries.
var domainErrors = []error{
	gatehouse.ErrNotFound, gatehouse.ErrConflict, gatehouse.ErrTokenReused,
	gatehouse.ErrSessionEnded, gatehouse.ErrStale,
}

// Classify returns the cause under which err means "the database cannot
// serve this now", or "" when it means something else (a domain answer, a
// bug, bad data). It does not look at whether the caller gave up: a
// caller's own cancellation is not the database's fault, and Wrap checks
// that first.
func Classify(err error) string {
	if err == nil {
		return ""
	}
	for _, d := range domainErrors {
		if errors.Is(err, d) {
			return ""
		}
	}
	if errors.Is(err, gatehouse.ErrUnavailable) {
		if c := Cause(err); c != "" {
			return c
		}
		return CauseTimeout
	}
	var sqlState interface{ SQLState() string }
	if errors.As(err, &sqlState) {
		if c := postgresCause(sqlState.SQLState()); c != "" {
			return c
		}
		return ""
	}
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		if c := sqliteCause(coded.Code()); c != "" {
			return c
		}
	}
	var connect *pgconn.ConnectError
	switch {
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err):
		return CauseTimeout
	case errors.As(err, &connect),
		errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, net.ErrClosed):
		return CauseConnection
	case errors.Is(err, syscall.ENOSPC):
		return CauseDiskFull
	case errors.Is(err, syscall.EROFS):
		return CauseReadOnly
	}
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return CauseTimeout
		}
		return CauseConnection
	}
	// pgxpool and database/sql name a closed pool only in their text.
	if msg := err.Error(); strings.Contains(msg, "closed pool") || strings.Contains(msg, "database is closed") {
		return CauseClosed
	}
	return ""
}

// postgresCause classifies a SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html).
func postgresCause(code string) string {
	switch {
	case strings.HasPrefix(code, "08"):
		return CauseConnectDB
	case code == "57P01", code == "57P02", code == "57P03", code == "57P05":
		return CauseShutdown
	case code == "57014":
		return CauseQueryCancel
	case strings.HasPrefix(code, "53"):
		return CauseResources
	case code == "25006":
		return CauseReadOnly
	case strings.HasPrefix(code, "58"):
		return CauseIO
	}
	return ""
}

// sqliteCause classifies an SQLite result code.
func sqliteCause(code int) string {
	switch code & 0xff {
	case sqliteFull:
		return CauseDiskFull
	case sqliteReadOnly:
		return CauseReadOnly
	case sqliteBusy, sqliteLocked:
		return CauseBusy
	case sqliteIOErr, sqliteCantOpen:
		return CauseIO
	}
	return ""
}
