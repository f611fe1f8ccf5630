"""The projection's health-insurance tables (written by :mod:`dancu.insurance.projection`, read by
:mod:`dancu.gateway.checkin`): a person's current coverage keyed by HMAC(PIN), with HMACs of the name as social
insurance holds it; facilities with the system that may check at each; receptionists by HMAC of their PIN."""

CHECKIN_SCHEMA = """
CREATE TABLE IF NOT EXISTS hi_coverage (
    pin_h BLOB PRIMARY KEY, name_h BLOB NOT NULL, name_fold_h BLOB NOT NULL, status TEXT NOT NULL,
    valid_to TEXT NOT NULL, benefit_level INTEGER NOT NULL, facility TEXT NOT NULL, five_years INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hi_facilities (
    code TEXT PRIMARY KEY, client_id TEXT NOT NULL, name TEXT NOT NULL, level INTEGER NOT NULL, province TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS hi_receptionists (
    facility TEXT NOT NULL, pin_h BLOB NOT NULL, name_h BLOB NOT NULL, PRIMARY KEY (facility, pin_h)
) WITHOUT ROWID;
"""
