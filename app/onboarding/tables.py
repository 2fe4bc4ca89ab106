"""Seller onboarding (入驻): applications and their documents, the rules exam, fee rules and the fees a new shop
owes. Money in fen, times UTC. An application keeps what the applicant typed even when it is not valid yet
(the wizard saves every step as a draft); the rules are checked when a step is saved and again on submit."""

from piccolo.columns import JSONB, BigInt, Boolean, Date, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from app.accounts.tables import User
from app.sellers.tables import Shop


class SellerApplication(Table, tablename="seller_application"):
    applicant = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    status = Varchar(length=16, default="draft", index=True)  # see app.onboarding.states
    shop_type = Varchar(length=16, default="")
    shop_name = Varchar(length=64, default="")
    company_name = Varchar(length=100, default="")  # an individual shop: the holder's legal name
    credit_code = Varchar(length=32, default="")  # USCC, or the ID number for an individual shop
    contact_name = Varchar(length=32, default="")
    contact_phone = Varchar(length=32, default="")
    categories = JSONB(default="[]")  # level-1 catalog category ids
    exam_passed_at = Timestamptz(null=True, default=None)
    exam_attempts = Integer(default=0)
    signed_name = Varchar(length=100, default="")
    signed_at = Timestamptz(null=True, default=None)
    signed_ip = Varchar(length=45, default="")
    agreement_version = Varchar(length=16, default="")
    submitted_at = Timestamptz(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decided_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    decision_reason = Varchar(length=500, default="")
    shop = ForeignKey(references=Shop, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    valid_status = Check("status IN ('draft', 'submitted', 'approved', 'rejected', 'needs_info')")


class ApplicationDocument(Table, tablename="application_document"):
    """A qualification file (licence, brand authorisation, other), stored privately (never at a public URL).
    Uploaded with an application; after approval it belongs to the shop too, and a renewed document of the same
    kind supersedes it (定期复查). warned_at: the 30-day reminder was sent."""

    application = ForeignKey(references=SellerApplication, null=True, on_delete=OnDelete.cascade, index=True)
    shop = ForeignKey(references=Shop, null=True, default=None, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=16)
    storage_key = Varchar(length=160)
    content_type = Varchar(length=32)
    filename = Varchar(length=120, default="")
    size_bytes = Integer(default=0)
    expires_on = Date(null=True, default=None)
    warned_at = Timestamptz(null=True, default=None)
    superseded_at = Timestamptz(null=True, default=None)
    uploaded_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())

    valid_kind = Check("kind IN ('licence', 'brand_auth', 'other')")


class ExamQuestion(Table, tablename="exam_question"):
    """A platform-rules question: choices is [{"zh": "…", "en": "…"}, …]; answer is the right choice's index."""

    text_zh = Varchar(length=300)
    text_en = Varchar(length=300, default="")
    choices = JSONB(default="[]")
    answer = Integer(default=0)
    position = Integer(default=0)
    active = Boolean(default=True)


class OnboardingSetting(Table, tablename="onboarding_setting"):
    """Small platform settings of onboarding, e.g. exam_pass_percent."""

    key = Varchar(length=48, unique=True)
    value = Integer(default=0)


class FeeRule(Table, tablename="fee_rule"):
    """Deposit and annual fee for a shop type in a level-1 category (category 0: every other category).
    A shop owes the highest deposit and the highest annual fee among the categories it applied for."""

    shop_type = Varchar(length=16)
    category = Integer(default=0)  # catalog.category.id or 0
    deposit_fen = BigInt(default=0)
    annual_fee_fen = BigInt(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())

    unique_type_category = Unique([shop_type, category])
    valid_amounts = Check("deposit_fen >= 0 AND annual_fee_fen >= 0")


class ShopFee(Table, tablename="shop_fee"):
    """What an approved shop owes (保证金 / 年费); an admin records the payment until a gateway exists."""

    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.cascade, index=True)
    application = ForeignKey(references=SellerApplication, null=True, on_delete=OnDelete.set_null)
    kind = Varchar(length=16)
    amount_fen = BigInt()
    paid_at = Timestamptz(null=True, default=None)
    reference = Varchar(length=64, default="")
    confirmed_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())

    unique_shop_kind = Unique([shop, kind])
    valid_kind = Check("kind IN ('deposit', 'annual_fee')")
    valid_amount = Check("amount_fen > 0")


TABLES = [SellerApplication, ApplicationDocument, ExamQuestion, OnboardingSetting, FeeRule, ShopFee]
