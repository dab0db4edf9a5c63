// Written for Rocket.Chat ≤ 8, whose Babel transpiling ran class methods in sloppy
// mode: none of msg, i, total, parts, helperResult are declared.
function helper(x) {
  helperResult = x * 2;
  return helperResult;
}

class Script {
  process_incoming_request({ request }) {
    total = 0;
    parts = [];
    for (i = 0; i < request.content.items.length; i++) {
      item = request.content.items[i];
      total += item.amount;
      parts.push(item.name);
    }
    for (key in request.content.meta) {
      lastKey = key;
    }
    msg = 'Order: ' + parts.join(', ') + ' = ' + total;
    return {
      content: {
        text: msg,
        doubled: helper(total),
        lastKey: lastKey,
        neverAssigned: typeof neverAssigned,
        globalMsg: globalThis.msg === msg,
      },
    };
  }
}
