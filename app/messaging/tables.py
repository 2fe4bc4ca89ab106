from piccolo.columns import JSONB, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from app.accounts.tables import User
from app.sellers.tables import Shop


class Notification(Table, tablename="notification"):
    """An in-app notice to one user (站内信). title/body are gettext message ids (marked with N_) with
    %(name)s params, translated when shown, so the reader sees them in the language they read in; `kind` lets
    later channels (SMS, e-mail) pick what to forward."""

    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=48)
    title = Varchar(length=200)
    body = Varchar(length=2000, default="")
    params = JSONB(default="{}")
    link = Varchar(length=300, default="")
    read_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class Conversation(Table, tablename="conversation"):
    """联系客服: one thread between a buyer and a shop (one per pair); the product or order last asked about
    is its context. Unread counts are kept per side so lists need no count over messages."""

    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.cascade, index=True)
    buyer = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    product = Integer(null=True, default=None)  # catalog product id (context), no FK: catalog is not a dependency
    order = Integer(null=True, default=None)  # shop_order id (context)
    last_message_at = Timestamptz(null=True, default=None, index=True)
    waiting_since = Timestamptz(null=True, default=None)  # the buyer's first message not yet answered
    first_response_seconds = Integer(null=True, default=None)
    buyer_unread = Integer(default=0)
    shop_unread = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())

    conversation_unique_pair = Unique([shop, buyer])


class ChatMessage(Table, tablename="chat_message"):
    conversation = ForeignKey(references=Conversation, null=False, on_delete=OnDelete.cascade, index=True)
    sender = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade)
    side = Varchar(length=8)  # buyer | shop
    text = Varchar(length=1000, default="")
    image_key = Varchar(length=128, null=True, default=None)
    image_width = Integer(null=True, default=None)
    image_height = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())

    chat_message_valid_side = Check("side IN ('buyer', 'shop')")


class QuickReply(Table, tablename="chat_quick_reply"):
    """A shop's canned answer (快捷回复), a few per shop."""

    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.cascade, index=True)
    text = Varchar(length=500)
    position = Integer(default=0)
