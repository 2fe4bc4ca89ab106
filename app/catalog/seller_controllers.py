"""Seller center: products, SKUs, stock, the image library, bulk import/export."""

ROUTES: list = []
