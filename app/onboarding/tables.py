"""Seller onboarding tables (the onboarding work fills these in)."""
