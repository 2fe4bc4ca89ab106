"""Jishi (集市): a multi-vendor online mall."""
