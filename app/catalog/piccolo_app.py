from pathlib import Path

from piccolo.conf.apps import AppConfig

from app.catalog.tables import (
    Brand,
    BrowseHistory,
    Category,
    Favorite,
    Product,
    ProductImage,
    SearchHistory,
    SearchLog,
    ShopImage,
    Sku,
)

ROOT = Path(__file__).resolve().parent.parent.parent

APP_CONFIG = AppConfig(
    app_name="catalog",
    migrations_folder_path=str(ROOT / "migrations" / "catalog"),
    table_classes=[
        Category,
        Brand,
        Product,
        Sku,
        ProductImage,
        ShopImage,
        Favorite,
        BrowseHistory,
        SearchLog,
        SearchHistory,
    ],
    migration_dependencies=["app.accounts.piccolo_app", "app.sellers.piccolo_app"],
    commands=[],
)
