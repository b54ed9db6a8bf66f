"""Who the database login is and what it may do: roles, logins, grants (PostgreSQL)."""
