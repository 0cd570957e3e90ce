/**
 * PostgreSQL schema migrations, applied in order under an advisory lock and recorded in
 * `zh_schema`. The first one creates what SQLite's first four built step by step; after it, each
 * migration has a twin in migrations-sqlite.ts. Never edit a shipped migration: append one.
 * Times are ms since the epoch (BIGINT), flags 0/1 (INTEGER), lists JSON text, as in SQLite.
 */
export const postgresMigrations: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

  CREATE TABLE identities (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('endpoint', 'admin')),
    attributes TEXT NOT NULL DEFAULT '[]',
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );

  CREATE TABLE routers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    attributes TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    address TEXT,
    last_seen BIGINT
  );

  CREATE TABLE services (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    attributes TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );

  CREATE TABLE service_policies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL CHECK (type IN ('dial', 'bind')),
    identity_roles TEXT NOT NULL,
    service_roles TEXT NOT NULL,
    semantic TEXT NOT NULL CHECK (semantic IN ('anyOf', 'allOf')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );

  CREATE TABLE router_policies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    identity_roles TEXT NOT NULL,
    router_roles TEXT NOT NULL,
    semantic TEXT NOT NULL CHECK (semantic IN ('anyOf', 'allOf')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );

  CREATE TABLE enrollments (
    jti TEXT PRIMARY KEY,
    principal_id TEXT NOT NULL,
    principal_kind TEXT NOT NULL CHECK (principal_kind IN ('identity', 'router')),
    expires_at BIGINT NOT NULL,
    used_at BIGINT
  );
  CREATE INDEX enrollments_principal ON enrollments (principal_id);

  CREATE TABLE certificates (
    serial TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    principal_id TEXT NOT NULL,
    principal_kind TEXT NOT NULL CHECK (principal_kind IN ('identity', 'router', 'controller')),
    not_after BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    revoked_at BIGINT
  );
  CREATE INDEX certificates_principal ON certificates (principal_id);
  CREATE INDEX certificates_not_after ON certificates (not_after);

  CREATE TABLE renewals (
    principal_id TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    last_at BIGINT NOT NULL
  );

  CREATE TABLE changes (
    seq BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    event TEXT NOT NULL
  );
  CREATE INDEX changes_at ON changes (at);

  CREATE TABLE replicas (
    url TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL
  );

  CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);

  CREATE TABLE router_presence (
    router_id TEXT NOT NULL,
    replica TEXT NOT NULL,
    address TEXT NOT NULL,
    topology TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (router_id, replica)
  );
  `,
]
