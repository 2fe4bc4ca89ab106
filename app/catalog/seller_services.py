"""What other domains may ask of the seller center's catalog (the dashboard's counts). The rules themselves
live in app.catalog.merchant."""

from app.catalog.merchant import low_stock_count, product_counts

__all__ = ["low_stock_count", "product_counts"]
