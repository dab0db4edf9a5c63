// Written for hookhub's tests: Rocket.Chat's Store hands out the stored object itself,
// so scripts often change it in place without calling Store.set again.
class Script {
  process_incoming_request({ request }) {
    if (!Store.get('deploys')) Store.set('deploys', { list: [] });
    const deploys = Store.get('deploys');
    deploys.list.push(request.content.version);  // no Store.set: the object is the Store's
    const last = Store.set('last', { version: request.content.version });
    last.by = request.content.by;  // changed after set: kept too
    return { content: { text: `deploys: ${Store.get('deploys').list.join(', ')}` } };
  }
}
