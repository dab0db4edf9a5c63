/* Written for hookhub's tests in the style of the GitHub scripts pasted into Rocket.Chat:
   sloppy mode, top-level `var` tables and helpers used from the class. */
var githubEvents = {
  push: function (payload) {
    return payload.commits.length + ' commit(s) to ' + payload.ref.replace('refs/heads/', '');
  },
  issues: function (payload) {
    return 'issue #' + payload.issue.number + ' ' + payload.action;
  },
};
var seen = [];
var DEFAULT_AVATAR = 'https://avatars.example.com/github.png';

function describe(event, payload) {
  var handler = githubEvents[event];
  return handler ? handler(payload) : 'unsupported event ' + event;
}

class Script {
  process_incoming_request({ request }) {
    var event = request.headers['x-github-event'];
    seen.push(event);
    githubEvents.ping = githubEvents.ping || function () { return 'pong'; };
    counter = (typeof counter === 'undefined' ? 0 : counter) + 1;  // undeclared: a global, as in sloppy code
    return {
      content: {
        text: describe(event, request.content),
        icon_url: DEFAULT_AVATAR,
        seen: seen.slice(),
        counter: counter,
      },
    };
  }
}
