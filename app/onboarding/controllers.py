"""Seller onboarding (入驻): the application wizard and the admin review queue."""

ROUTES: list = []
