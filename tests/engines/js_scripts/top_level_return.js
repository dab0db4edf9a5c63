// Written for hookhub's tests: some pasted scripts stop early with a top-level `return`
// (legal only because the script is evaluated as a function body).
var ready = true;
if (!ready) return;
class Script {
  process_incoming_request() {
    return { content: { text: 'ready ' + ready } };
  }
}
