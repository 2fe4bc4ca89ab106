"""Browser tests: Playwright journeys against a live server (`make test-e2e`)."""
