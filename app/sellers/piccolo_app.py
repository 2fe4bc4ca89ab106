from pathlib import Path

from piccolo.conf.apps import AppConfig

from app.sellers.tables import (
    PickupPoint,
    ProductShopSection,
    ShippingTemplate,
    Shop,
    ShopCategoryGrant,
    ShopSection,
    ShopStaff,
)

ROOT = Path(__file__).resolve().parent.parent.parent

APP_CONFIG = AppConfig(
    app_name="sellers",
    migrations_folder_path=str(ROOT / "migrations" / "sellers"),
    table_classes=[Shop, ShopStaff, ShopCategoryGrant, ShopSection, ProductShopSection, ShippingTemplate, PickupPoint],
    migration_dependencies=["app.accounts.piccolo_app"],
    commands=[],
)
