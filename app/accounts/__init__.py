"""Users, platform roles, registration and login. Later: addresses, member levels, points ledger."""
