"""Tables of the complaints app (issue 8): complaints to the platform (投诉) about a shop or an order."""

from __future__ import annotations

from piccolo.columns import JSONB, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check
from piccolo.table import Table

from app.accounts.tables import User
from app.sellers.tables import Shop


class Complaint(Table, tablename="complaint"):
    """A buyer's complaint: open → handling → resolved | dismissed, handled by platform staff."""

    complainant = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.cascade, index=True)
    order = Integer(null=True, default=None)  # shop_order id, when the complaint is about an order
    category = Varchar(length=16)  # fake | not_described | service | delivery | other
    text = Varchar(length=2000)
    status = Varchar(length=12, default="open", index=True)
    resolution = Varchar(length=1000, default="")
    # listed sensitive words found in the text: never refused (a buyer must be able to write 假货), shown to the
    # handler (docs/decisions/0020-sensitive-words-chat-complaints.md)
    flagged_words = JSONB(default="[]")
    handled_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())

    complaint_valid_status = Check("status IN ('open', 'handling', 'resolved', 'dismissed')")
    complaint_valid_category = Check("category IN ('fake', 'not_described', 'service', 'delivery', 'other')")


class ComplaintPhoto(Table, tablename="complaint_photo"):
    """Evidence: re-encoded JPEGs in private storage, shown only to the complainant and platform staff."""

    complaint = ForeignKey(references=Complaint, null=False, on_delete=OnDelete.cascade, index=True)
    image_key = Varchar(length=128)
    width = Integer()
    height = Integer()


class ComplaintEvent(Table, tablename="complaint_event"):
    """The complaint's timeline: its filing and every status change, with the handler's note."""

    complaint = ForeignKey(references=Complaint, null=False, on_delete=OnDelete.cascade, index=True)
    actor = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    status = Varchar(length=12)
    note = Varchar(length=1000, default="")
    created_at = Timestamptz(default=TimestamptzNow())
