"""Conversations between buyers and shops: /messages/start (from a product, shop or order), the buyer's
/me/messages/ and the shop's shared inbox /seller/messages/ (owner, manager and service staff). A thread page
polls a small fragment for messages newer than the last one it shows (docs/decisions/0018-chat-updates.md);
sending works as a plain POST + redirect and htmx upgrades it to an in-place post."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.core.errors import DomainError, NotFound
from app.core.i18n import N_
from app.messaging import chat
from app.sellers.permissions import requires_shop_permission
from app.web.auth import current_user
from app.web.flash import flash
from app.web.forms import field_errors
from app.web.guards import requires_login
from app.web.htmx import is_htmx

MAX_UPLOAD_BYTES = chat.MAX_IMAGE_BYTES + 1024 * 1024  # a little above, so the service's message is the one seen


def _user_id(request: Request) -> int:
    user = current_user(request)
    assert user is not None
    return user.id


def _int_or_none(value: str | None) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        raise NotFound(N_("Page not found"))
    return int(text)


async def _read_post(request: Request) -> tuple[dict[str, str], bytes | None]:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    upload = form.get("image")
    data = await upload.read() if isinstance(upload, UploadFile) else None
    return fields, (data or None)


def _image(data: bytes) -> Response[bytes]:
    return Response(
        content=data,
        media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


def _thread_context(
    *, conv: chat.ConversationView, msgs: list[chat.MessageView], side: str, base: str, **extra: Any
) -> dict[str, Any]:
    return {
        "conv": conv,
        "msgs": msgs,
        "side": side,
        "base": base,
        "after": msgs[-1].id if msgs else 0,
        "form": extra.pop("form", {}),
        "errors": extra.pop("errors", {}),
        **extra,
    }


class ChatStartController(Controller):
    path = "/messages"
    guards = [requires_login]

    @get("/start", name="chat:start")
    async def start(
        self,
        request: Request,
        product: FromQuery[str] = "",
        shop: FromQuery[str] = "",
        order: FromQuery[str] = "",
    ) -> Redirect:
        try:
            conversation_id = await chat.start_conversation(
                buyer_id=_user_id(request),
                product_id=_int_or_none(product),
                shop_id=_int_or_none(shop),
                order_id=_int_or_none(order),
            )
        except chat.ChatError as exc:
            flash(request, exc.message, "error")
            return Redirect(path="/me/messages/", status_code=303)
        return Redirect(path=f"/me/messages/{conversation_id}", status_code=303)


class BuyerChatController(Controller):
    path = "/me/messages"
    guards = [requires_login]

    @get("/", name="chat:buyer-list")
    async def index(self, request: Request) -> Template:
        buyer_id = _user_id(request)
        return Template(
            template_name="storefront/messaging/conversations.html",
            context={
                "items": await chat.buyer_conversations(buyer_id=buyer_id),
                "unread": await chat.buyer_unread_total(buyer_id=buyer_id),
            },
        )

    @get("/unread", name="chat:buyer-unread")
    async def unread(self, request: Request) -> Template:
        """A badge with the unread message count (empty when none), for a lazy nav placeholder."""
        return Template(
            template_name="storefront/messaging/_unread.html",
            context={"unread": await chat.buyer_unread_total(buyer_id=_user_id(request))},
        )

    async def _thread(
        self, request: Request, conversation_id: int, *, status_code: int = 200, **extra: Any
    ) -> Template:
        conv = await chat.buyer_conversation(buyer_id=_user_id(request), conversation_id=conversation_id)
        await chat.mark_read(conversation_id=conv.id, side="buyer")
        msgs = await chat.messages(conversation_id=conv.id)
        return Template(
            template_name="storefront/messaging/thread.html",
            context=_thread_context(conv=conv, msgs=msgs, side="buyer", base="/me/messages", **extra),
            status_code=status_code,
        )

    @get("/{conversation_id:int}", name="chat:buyer-thread")
    async def thread(self, request: Request, conversation_id: FromPath[int]) -> Template:
        return await self._thread(request, conversation_id)

    @post("/{conversation_id:int}", name="chat:buyer-send", request_max_body_size=MAX_UPLOAD_BYTES)
    async def send(self, request: Request, conversation_id: FromPath[int]) -> Template | Redirect:
        conv = await chat.buyer_conversation(buyer_id=_user_id(request), conversation_id=conversation_id)
        fields, image = await _read_post(request)
        return await _send(request, conv=conv, side="buyer", base="/me/messages", fields=fields, image=image, page=self)

    @get("/{conversation_id:int}/since", name="chat:buyer-poll")
    async def poll(self, request: Request, conversation_id: FromPath[int], after: FromQuery[int] = 0) -> Template:
        conv = await chat.buyer_conversation(buyer_id=_user_id(request), conversation_id=conversation_id)
        return await _poll(conv=conv, side="buyer", base="/me/messages", after=after)

    @get("/{conversation_id:int}/images/{message_id:int}", name="chat:buyer-image")
    async def image(
        self, request: Request, conversation_id: FromPath[int], message_id: FromPath[int]
    ) -> Response[bytes]:
        conv = await chat.buyer_conversation(buyer_id=_user_id(request), conversation_id=conversation_id)
        return _image(await chat.message_image(conversation_id=conv.id, message_id=message_id))


async def _send(
    request: Request,
    *,
    conv: chat.ConversationView,
    side: str,
    base: str,
    fields: dict[str, str],
    image: bytes | None,
    page: Any,
    quick: list[dict[str, Any]] | None = None,
) -> Template | Redirect:
    text = fields.get("text", "")
    try:
        await chat.send_message(conversation_id=conv.id, sender_id=_user_id(request), side=side, text=text, image=image)
    except DomainError as exc:
        errors = field_errors(exc)
        if is_htmx(request):
            return Template(
                template_name="storefront/messaging/_compose.html",
                context={"conv": conv, "base": base, "form": {"text": text}, "errors": errors, "quick": quick},
                status_code=422,
            )
        return await page._thread(request, conv.id, status_code=422, form={"text": text}, errors=errors)
    if is_htmx(request):
        return Template(
            template_name="storefront/messaging/_compose.html",
            context={"conv": conv, "base": base, "form": {}, "errors": {}, "quick": quick},
            headers={"HX-Trigger": "chat-sent"},
        )
    return Redirect(path=f"{base}/{conv.id}", status_code=303)


async def _poll(*, conv: chat.ConversationView, side: str, base: str, after: int) -> Template:
    msgs = await chat.messages(conversation_id=conv.id, after_id=max(0, after))
    if msgs:
        await chat.mark_read(conversation_id=conv.id, side=side)  # the reader has the thread open
    return Template(
        template_name="storefront/messaging/_poll.html",
        context={"conv": conv, "msgs": msgs, "side": side, "base": base, "after": msgs[-1].id if msgs else after},
    )


class SellerChatController(Controller):
    path = "/seller/messages"
    guards = [requires_shop_permission("messages.answer")]

    @staticmethod
    def _shop_id(request: Request) -> int:
        return int(request.state.shop.shop_id)

    @get("/", name="chat:seller-inbox")
    async def inbox(self, request: Request) -> Template:
        shop_id = self._shop_id(request)
        return Template(
            template_name="seller/messaging/inbox.html",
            context={
                "items": await chat.shop_conversations(shop_id=shop_id),
                "unread": await chat.shop_unread_total(shop_id=shop_id),
                "avg_first_response": await chat.average_first_response(shop_id=shop_id),
            },
        )

    @get("/unread", name="chat:seller-unread")
    async def unread(self, request: Request) -> Template:
        """A badge with the unread message count (empty when none), for a lazy nav placeholder."""
        return Template(
            template_name="storefront/messaging/_unread.html",
            context={"unread": await chat.shop_unread_total(shop_id=self._shop_id(request))},
        )

    async def _thread(
        self, request: Request, conversation_id: int, *, status_code: int = 200, **extra: Any
    ) -> Template:
        shop_id = self._shop_id(request)
        conv = await chat.shop_conversation(shop_id=shop_id, conversation_id=conversation_id)
        await chat.mark_read(conversation_id=conv.id, side="shop")
        msgs = await chat.messages(conversation_id=conv.id)
        return Template(
            template_name="seller/messaging/thread.html",
            context=_thread_context(
                conv=conv,
                msgs=msgs,
                side="shop",
                base="/seller/messages",
                quick=await chat.quick_replies(shop_id=shop_id),
                **extra,
            ),
            status_code=status_code,
        )

    @get("/{conversation_id:int}", name="chat:seller-thread")
    async def thread(self, request: Request, conversation_id: FromPath[int]) -> Template:
        return await self._thread(request, conversation_id)

    @post("/{conversation_id:int}", name="chat:seller-send", request_max_body_size=MAX_UPLOAD_BYTES)
    async def send(self, request: Request, conversation_id: FromPath[int]) -> Template | Redirect:
        shop_id = self._shop_id(request)
        conv = await chat.shop_conversation(shop_id=shop_id, conversation_id=conversation_id)
        fields, image = await _read_post(request)
        quick = await chat.quick_replies(shop_id=shop_id)
        if fields.get("quick"):
            chosen = _int_or_none(fields["quick"])
            match = next((q for q in quick if q["id"] == chosen), None)
            if match is None:
                raise NotFound(N_("This quick reply does not exist."))
            fields = {"text": match["text"]}
        return await _send(
            request, conv=conv, side="shop", base="/seller/messages", fields=fields, image=image, page=self, quick=quick
        )

    @get("/{conversation_id:int}/since", name="chat:seller-poll")
    async def poll(self, request: Request, conversation_id: FromPath[int], after: FromQuery[int] = 0) -> Template:
        conv = await chat.shop_conversation(shop_id=self._shop_id(request), conversation_id=conversation_id)
        return await _poll(conv=conv, side="shop", base="/seller/messages", after=after)

    @get("/{conversation_id:int}/images/{message_id:int}", name="chat:seller-image")
    async def image(
        self, request: Request, conversation_id: FromPath[int], message_id: FromPath[int]
    ) -> Response[bytes]:
        conv = await chat.shop_conversation(shop_id=self._shop_id(request), conversation_id=conversation_id)
        return _image(await chat.message_image(conversation_id=conv.id, message_id=message_id))

    # ------------------------------------------------------------ quick replies
    async def _quick_page(self, request: Request, *, status_code: int = 200, **extra: Any) -> Template:
        return Template(
            template_name="seller/messaging/quick_replies.html",
            context={
                "items": await chat.quick_replies(shop_id=self._shop_id(request)),
                "max": chat.MAX_QUICK_REPLIES,
                "form": extra.get("form", {}),
                "errors": extra.get("errors", {}),
                "edit_errors": extra.get("edit_errors", {}),
            },
            status_code=status_code,
        )

    @get("/quick-replies", name="chat:quick-replies")
    async def quick_replies(self, request: Request) -> Template:
        return await self._quick_page(request)

    @post("/quick-replies", name="chat:quick-add")
    async def quick_add(self, request: Request) -> Template | Redirect:
        form = await request.form()
        text = form.get("text", "") if isinstance(form.get("text"), str) else ""
        try:
            await chat.add_quick_reply(shop_id=self._shop_id(request), text=text)
        except DomainError as exc:
            return await self._quick_page(request, status_code=422, form={"text": text}, errors=field_errors(exc))
        flash(request, N_("Quick reply saved."), "success")
        return Redirect(path="/seller/messages/quick-replies", status_code=303)

    @post("/quick-replies/{reply_id:int}", name="chat:quick-edit")
    async def quick_edit(self, request: Request, reply_id: FromPath[int]) -> Template | Redirect:
        form = await request.form()
        text = form.get("text", "") if isinstance(form.get("text"), str) else ""
        try:
            await chat.update_quick_reply(shop_id=self._shop_id(request), reply_id=reply_id, text=text)
        except NotFound:
            raise
        except DomainError as exc:
            return await self._quick_page(
                request, status_code=422, edit_errors={reply_id: field_errors(exc).popitem()[1]}
            )
        flash(request, N_("Quick reply saved."), "success")
        return Redirect(path="/seller/messages/quick-replies", status_code=303)

    @post("/quick-replies/{reply_id:int}/delete", name="chat:quick-delete")
    async def quick_delete(self, request: Request, reply_id: FromPath[int]) -> Redirect:
        await chat.delete_quick_reply(shop_id=self._shop_id(request), reply_id=reply_id)
        flash(request, N_("Quick reply deleted."), "success")
        return Redirect(path="/seller/messages/quick-replies", status_code=303)


CHAT_ROUTES: list = [ChatStartController, BuyerChatController, SellerChatController]
