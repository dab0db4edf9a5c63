"""Trello → chat: cards created, moved, archived, commented on, and members added to cards.

Register a webhook on a board (Trello's REST API, callbackURL https://<host>/hooks/<id>/<token>);
see README.md next to this file for the one curl call it takes.
"""

from hookkit import BLUE, GREEN, GREY, YELLOW, dispatch, field, link, message, obj, shorten

NEEDS = {"*": ("action.data.board.name",)}


def card_link(data):
    card = obj(data.get("card"))
    url = f"https://trello.com/c/{card['shortLink']}" if card.get("shortLink") else None
    return link(card.get("name") or "a card", url)


def board_link(body):
    board = body["action"]["data"]["board"]
    model = obj(body.get("model"))
    url = model.get("url") if model.get("id") == board.get("id") else None
    if not url and board.get("shortLink"):
        url = f"https://trello.com/b/{board['shortLink']}"
    return link(board["name"], url)


def who(body):
    member = obj(body["action"].get("memberCreator"))
    return member.get("fullName") or member.get("username") or "someone"


def list_name(data):
    return obj(data.get("list")).get("name")


def card_created(body, request=None):
    data = body["action"]["data"]
    where = f" to {list_name(data)}" if list_name(data) else ""
    return message(f"{who(body)} added card {card_link(data)}{where} on {board_link(body)}")


def card_updated(body, request=None):
    data = body["action"]["data"]
    old = obj(data.get("old"))
    card = obj(data.get("card"))
    if "idList" in old and data.get("listAfter"):
        before = obj(data.get("listBefore")).get("name") or "?"
        after = obj(data.get("listAfter")).get("name") or "?"
        text = f"{who(body)} moved card {card_link(data)} from {before} to {after} on {board_link(body)}"
        return message(text, {"color": BLUE, "title": card.get("name"), "fields": [field("List", after)]})
    if old.get("closed") is False and card.get("closed"):
        return message(f"{who(body)} archived card {card_link(data)} on {board_link(body)}",
                       {"color": GREY, "title": card.get("name")})
    if old.get("closed") is True and card.get("closed") is False:
        return message(f"{who(body)} reopened card {card_link(data)} on {board_link(body)}")
    if "dueComplete" in old and card.get("dueComplete"):
        return message(f"{who(body)} marked card {card_link(data)} complete on {board_link(body)}",
                       {"color": GREEN, "title": card.get("name")})
    if "due" in old:
        due = card.get("due")
        text = (f"{who(body)} set the due date of card {card_link(data)} to {due} on {board_link(body)}" if due
                else f"{who(body)} removed the due date of card {card_link(data)} on {board_link(body)}")
        return message(text, {"color": YELLOW, "title": card.get("name")})
    if "name" in old:
        return message(f"{who(body)} renamed card {old['name']} to {card_link(data)} on {board_link(body)}")
    changed = ", ".join(str(key) for key in old) or "nothing"
    console.log(f"Trello card update of {changed} is not posted; nothing posted")
    return None


def commented(body, request=None):
    data = body["action"]["data"]
    text = f"{who(body)} commented on card {card_link(data)} on {board_link(body)}"
    return message(text, {"color": BLUE, "title": obj(data.get("card")).get("name"),
                          "text": shorten(data.get("text"), 500)})


def member_added(body, request=None):
    data = body["action"]["data"]
    member = obj(body["action"].get("member")).get("fullName") or obj(data.get("member")).get("name") or "someone"
    return message(f"{who(body)} added {member} to card {card_link(data)} on {board_link(body)}")


EVENTS = {
    "createCard": card_created,
    "updateCard": card_updated,
    "commentCard": commented,
    "addMemberToCard": member_added,
}


class Script:
    def process_incoming_request(self, request):
        if not request.content:
            # Trello checks the callback URL with a HEAD request (answered like GET: an empty body)
            # before it creates the webhook, and wants a 200.
            console.log("Trello callback URL check answered 200; nothing posted")
            return None
        return dispatch(request, EVENTS, field="action.type", needs=NEEDS, service="Trello")
