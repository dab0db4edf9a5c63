# attack: keep a live object in the Store
# expect: run
# reason: needs JSON data
class Script:
    def process_incoming_request(self, request):
        Store.set('x', console)
