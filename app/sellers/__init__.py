"""Shops and shop staff. The onboarding flow (applications, review, fees) comes with the sellers issue."""
