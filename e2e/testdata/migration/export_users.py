"""Plays the FastAPI app being migrated: its users table, written as the
FastAPI security tutorial writes it (passlib's CryptContext with bcrypt, a
role column that create_access_token put into tokens as "user_role"), and
exported to JSON Lines for `gatehouse user import`.

    python3 export_users.py OUT.jsonl USERNAME:PASSWORD:ROLE ...

Needs passlib and bcrypt (Debian: python3-passlib python3-bcrypt).
"""

import json
import sqlite3
import sys

from passlib.context import CryptContext

# What the tutorial's app.py has.
pwd_context = CryptContext(schemes=["bcrypt"], deprecated="auto")


def main() -> None:
    out, specs = sys.argv[1], sys.argv[2:]
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT UNIQUE, hashed_password TEXT,"
        " role TEXT, disabled BOOLEAN)"
    )
    for spec in specs:
        username, password, role = spec.split(":")
        db.execute(
            "INSERT INTO users (username, hashed_password, role, disabled) VALUES (?, ?, ?, 0)",
            (username, pwd_context.hash(password), role),
        )
    with open(out, "w", encoding="utf-8") as f:
        rows = db.execute("SELECT username, hashed_password, role, disabled FROM users ORDER BY id")
        for username, hashed, role, disabled in rows:
            line = {
                "username": username,
                "password_hash": hashed,
                "scope": "orders:read",
                "claims": {"role": role},
                "disabled": bool(disabled),
            }
            f.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
