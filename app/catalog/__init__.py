"""Categories, brands, products with specs and SKUs, images, search, favourites and browsing history."""
