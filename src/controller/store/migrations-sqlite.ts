/**
 * SQLite schema migrations, applied in order and recorded in `PRAGMA user_version`. Never edit a
 * shipped migration: append a new one, and its PostgreSQL twin in migrations-postgres.ts, so both
 * stores hold the same tables and columns.
 */
export const sqliteMigrations: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

  CREATE TABLE identities (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('endpoint', 'admin')),
    attributes TEXT NOT NULL DEFAULT '[]',
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE routers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    attributes TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE services (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    attributes TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE service_policies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL CHECK (type IN ('dial', 'bind')),
    identity_roles TEXT NOT NULL,
    service_roles TEXT NOT NULL,
    semantic TEXT NOT NULL CHECK (semantic IN ('anyOf', 'allOf')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE router_policies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    identity_roles TEXT NOT NULL,
    router_roles TEXT NOT NULL,
    semantic TEXT NOT NULL CHECK (semantic IN ('anyOf', 'allOf')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );

  -- One row per one-time enrollment token; the token itself is never stored.
  CREATE TABLE enrollments (
    jti TEXT PRIMARY KEY,
    principal_id TEXT NOT NULL,
    principal_kind TEXT NOT NULL CHECK (principal_kind IN ('identity', 'router')),
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  );
  CREATE INDEX enrollments_principal ON enrollments (principal_id);

  -- Every certificate the CA issued; revoked_at set when its principal is disabled or deleted.
  CREATE TABLE certificates (
    serial TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    principal_id TEXT NOT NULL,
    principal_kind TEXT NOT NULL CHECK (principal_kind IN ('identity', 'router', 'controller')),
    not_after INTEGER NOT NULL,
    issued_at INTEGER NOT NULL,
    revoked_at INTEGER
  );
  CREATE INDEX certificates_principal ON certificates (principal_id);
  `,
  `
  -- Where a router accepts endpoint connections, as it reported it, and when it last did.
  ALTER TABLE routers ADD COLUMN address TEXT;
  ALTER TABLE routers ADD COLUMN last_seen INTEGER;
  `,
  `
  -- How often each principal's certificate was renewed, and when last (certificate rows are
  -- pruned once expired, so they cannot be counted).
  CREATE TABLE renewals (
    principal_id TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    last_at INTEGER NOT NULL
  );
  CREATE INDEX certificates_not_after ON certificates (not_after);
  `,
  `
  -- Every change that took a permission away, in commit order: each replica's feed reads them
  -- by sequence number and pushes them to its routers.
  CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    event TEXT NOT NULL
  );
  CREATE INDEX changes_at ON changes (at);

  -- The controller replicas serving this network, and when each last said it was alive.
  CREATE TABLE replicas (
    url TEXT PRIMARY KEY,
    started_at INTEGER NOT NULL,
    last_seen INTEGER NOT NULL
  );

  -- Network secrets (CA key, signing key) sealed with the store key; only shared stores use it.
  CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);

  -- Which replica holds each router's control channel, with the router's last topology report,
  -- so every replica computes paths over the whole router graph (shared stores only).
  CREATE TABLE router_presence (
    router_id TEXT NOT NULL,
    replica TEXT NOT NULL,
    address TEXT NOT NULL,
    topology TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (router_id, replica)
  );
  `,
]
